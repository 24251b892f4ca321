"""Neural-network building blocks on top of autograd."""
