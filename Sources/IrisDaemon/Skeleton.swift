import NIOCore
import NIOHTTP1
import ServiceLifecycle
import Prometheus
