"""Gateway API status: condition types, reasons and constructors."""
