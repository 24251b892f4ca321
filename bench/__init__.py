"""chainrule's benchmark against micrograd and a hand-written floor: python -m bench."""
