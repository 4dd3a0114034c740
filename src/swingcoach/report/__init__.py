"""Report: report.json, the annotated video, plots and the HTML page a golfer opens."""
