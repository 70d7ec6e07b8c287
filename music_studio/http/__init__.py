"""HTTP plumbing shared by the app: middleware, error rendering, body validation."""
