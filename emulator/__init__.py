"""The local emulator: serves the REST API of template.yaml on 127.0.0.1, running the real state machine
definitions and Lambda handlers in-process against moto's in-memory DynamoDB and SNS."""
