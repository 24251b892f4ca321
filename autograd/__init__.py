"""chainrule's engine: scalar reverse-mode automatic differentiation."""
