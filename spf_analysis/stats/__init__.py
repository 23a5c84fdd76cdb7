"""Survey statistics: design-based estimators, poverty and inequality, ASPIRE and SDG 1.3.1 indicators."""
