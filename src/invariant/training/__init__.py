"""Training-side tools: dataset adapters, TTA, SSL views, curriculum, ablation, tuning, previews."""
