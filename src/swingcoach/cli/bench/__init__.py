"""`swingcoach bench ...`: accuracy and speed figures, as tables or JSON; one module per subcommand."""

import typer

from swingcoach.cli.bench.all import bench_all, bench_merge
from swingcoach.cli.bench.ballflight import bench_ballflight
from swingcoach.cli.bench.browser_pose import bench_browser_pose
from swingcoach.cli.bench.consistency import bench_consistency
from swingcoach.cli.bench.edge import bench_edge
from swingcoach.cli.bench.events import bench_events
from swingcoach.cli.bench.lift import bench_lift, bench_lift_agreement
from swingcoach.cli.bench.live import bench_live
from swingcoach.cli.bench.metric_error import bench_metric_error
from swingcoach.cli.bench.pose import bench_pose
from swingcoach.cli.bench.posture import bench_posture
from swingcoach.cli.bench.ranges import bench_ranges
from swingcoach.cli.bench.server import bench_server
from swingcoach.cli.bench.session import bench_session
from swingcoach.cli.bench.uploads import bench_uploads

bench_app = typer.Typer(help="Benchmarks: accuracy and speed, as tables (or --json).", no_args_is_help=True)
bench_app.command("edge")(bench_edge)
bench_app.command("server")(bench_server)
bench_app.command("uploads")(bench_uploads)
bench_app.command("lift")(bench_lift)
bench_app.command("lift-agreement")(bench_lift_agreement)
bench_app.command("events")(bench_events)
bench_app.command("pose")(bench_pose)
bench_app.command("posture")(bench_posture)
bench_app.command("browser-pose")(bench_browser_pose)
bench_app.command("consistency")(bench_consistency)
bench_app.command("metric-error")(bench_metric_error)
bench_app.command("ranges")(bench_ranges)
bench_app.command("all")(bench_all)
bench_app.command("merge")(bench_merge)
bench_app.command("live")(bench_live)
bench_app.command("ballflight")(bench_ballflight)
bench_app.command("session")(bench_session)
