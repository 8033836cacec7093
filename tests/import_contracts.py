"""A contract type for import-linter (run by bin/test; the contracts are in pyproject.toml).

``core``: the modules directly inside a package, not its sub-packages, may not import the
forbidden modules, even indirectly. ``clinic`` holds both the core (staff, roles, patients,
episodes, audit, permissions, messaging) and, as sub-packages, apps built on it; naming the
core's modules one by one would let a new module in ``clinic/`` escape the contract, so they
are found here, less the composition modules named in ``composition`` (the URL root and the
pages that gather every app)."""

from __future__ import annotations

from importlinter.contracts.forbidden import ForbiddenContract
from importlinter.domain import fields
from importlinter.domain.imports import ModuleExpression


class CoreContract(ForbiddenContract):
    type_name = "core"

    package = fields.StringField()
    composition = fields.SetField(subfield=fields.StringField(), required=False)
    source_modules = fields.SetField(subfield=fields.ModuleExpressionField(), required=False)
    forbidden_modules = ForbiddenContract.forbidden_modules
    ignore_imports = ForbiddenContract.ignore_imports
    allow_indirect_imports = ForbiddenContract.allow_indirect_imports
    unmatched_ignore_imports_alerting = ForbiddenContract.unmatched_ignore_imports_alerting
    as_packages = ForbiddenContract.as_packages
    broken_contract_guidance = ForbiddenContract.broken_contract_guidance

    def check(self, graph, verbose):
        composition = {f"{self.package}.{name}" for name in self.composition or ()}
        unknown = composition - graph.modules
        if unknown:
            raise ValueError(f"No such composition modules: {sorted(unknown)}")
        self.source_modules = {
            ModuleExpression(module)
            for module in graph.find_children(self.package)
            if not graph.find_children(module) and module not in composition
        }
        return super().check(graph, verbose)
