"""ember.utils.benchmark.utils: the modules behind ember.utils.benchmark (laid out as torch's)."""
