"""scrisk: supply-chain dependency risk analyzer."""
__version__ = "0.1.0"
