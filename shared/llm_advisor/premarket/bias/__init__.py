"""Daily bias model: features from daily bars, label rule, numpy inference, training."""
