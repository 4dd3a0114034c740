"""Analysis: metrics at the swing events, scores against tour ranges, and advice."""
