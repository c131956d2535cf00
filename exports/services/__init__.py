from exports.services.create import export_create
from exports.services.run import export_run

__all__ = ["export_create", "export_run"]
