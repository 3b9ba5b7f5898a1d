"""The credit model: plans, periods, the org's credit account, its rules, events, errors and ports.

Plain Python only: nothing here imports boto3, Powertools or any AWS library (ruff TID251 enforces it).
"""
