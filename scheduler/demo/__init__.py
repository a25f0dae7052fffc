"""`unionwatch demo`: five sites in the real layouts of the outlets, a plain static server on
loopback to serve them, the sources that crawl them, and the command that runs it all."""

from scheduler.demo.command import demo_config, run_demo
from scheduler.demo.server import DemoServer
from scheduler.demo.sources import demo_sources

__all__ = ["DemoServer", "demo_config", "demo_sources", "run_demo"]
