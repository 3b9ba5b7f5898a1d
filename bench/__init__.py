"""`python -m bench`: how fast the credit service decides and what each decision costs, measured against the
local emulator (latency, throughput, DynamoDB requests per decision, the functions' cold initialisation)."""
