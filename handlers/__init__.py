"""HTTP layer only: one module per OpenAPI tag; function name = operationId."""
