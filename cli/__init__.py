"""`credits`: the credit service's REST API as a command, for staff and developers (docs/cli.md).

- cli/commands.py: the commands (Typer), one per route of the API;
- cli/client.py: a request signed with SigV4 through botocore, sent, retried when the answer says when, and judged
  (the exit codes);
- cli/target.py: which API and as whom (an endpoint, or the stack's ApiUrl output; the caller's AWS credentials);
- cli/render.py: the answers as tables.
"""
