"""The DynamoDB credit store: one table, every invariant a condition, every multi-item change a transaction.

keys.py (the key of each item type), items.py (each item type to and from the domain's values), table.py (the
guarded client, consistent reads, conditional single writes), transactions.py (a unit of work of labelled actions),
profiles.py, ledger.py, notices.py (the table's concerns), store.py (the port, composed of them)."""

from adapters.dynamodb.store import DynamoCreditStore

__all__ = ["DynamoCreditStore"]
