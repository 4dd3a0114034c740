"""Training code (torch, from the `train` extra). Nothing at inference time imports this package."""
