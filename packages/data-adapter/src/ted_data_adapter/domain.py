"""The domain: intents, entities, slots, forms and actions, read from Rasa 1.x-3.1 files."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ted_data_adapter.errors import DataValidationError, Issue
from ted_data_adapter.events import ACTION_LISTEN
from ted_data_adapter.report import Findings, finish
from ted_data_adapter.retrieval import retrieval_action
from ted_data_adapter.slots import OTHER_VALUE, Slot, SlotMapping, normalize_slot_type
from ted_data_adapter.yaml_lines import YamlProblem, line_of, load_yaml, own_line

DEFAULT_ACTIONS: tuple[str, ...] = (
    ACTION_LISTEN,
    "action_restart",
    "action_session_start",
    "action_default_fallback",
    "action_deactivate_loop",
    "action_revert_fallback_events",
    "action_default_ask_affirmation",
    "action_default_ask_rephrase",
    "action_two_stage_fallback",
    "action_unlikely_intent",
    "action_back",
    "action_extract_slots",
)
DEFAULT_INTENTS: tuple[str, ...] = (
    "restart",
    "back",
    "out_of_scope",
    "session_start",
    "nlu_fallback",
)
REQUESTED_SLOT = "requested_slot"
# Loops every bot has besides its forms (Rasa's default loop actions).
DEFAULT_LOOPS: tuple[str, ...] = ("action_two_stage_fallback",)


@dataclass(frozen=True)
class IntentConfig:
    """Which entities of an intent the policy sees (None = all)."""

    name: str
    use_entities: frozenset[str] | None = None
    ignore_entities: frozenset[str] = frozenset()

    def keeps(self, entity: str) -> bool:
        if entity in self.ignore_entities:
            return False
        return self.use_entities is None or entity in self.use_entities


@dataclass(frozen=True)
class Domain:
    """Everything the stories may name, plus where each name was declared."""

    intents: dict[str, IntentConfig]
    entities: tuple[str, ...]
    entity_roles: dict[str, tuple[str, ...]]
    entity_groups: dict[str, tuple[str, ...]]
    slots: dict[str, Slot]
    forms: dict[str, tuple[str, ...]]
    actions: tuple[str, ...]
    responses: tuple[str, ...]
    version: str | None = None
    files: tuple[str, ...] = ()
    lines: dict[str, tuple[str, int]] = field(default_factory=dict, compare=False)
    # what Rasa only warns about in the domain files (with file and line)
    warnings: tuple[Issue, ...] = field(default=(), compare=False)

    @property
    def retrieval_actions(self) -> frozenset[str]:
        """``utter_faq`` for every response ``utter_faq/<key>`` (what stories run)."""
        found = (retrieval_action(name) for name in self.responses)
        return frozenset(name for name in found if name is not None)

    @property
    def all_actions(self) -> frozenset[str]:
        """Every action a story may run: defaults, custom actions, responses and forms.

        A retrieval response (``utter_faq/ask_x``) is not an action of its own: its
        retrieval action ``utter_faq`` is.
        """
        utterances = {name for name in self.responses if retrieval_action(name) is None}
        return (
            frozenset(DEFAULT_ACTIONS)
            | set(self.actions)
            | utterances
            | self.retrieval_actions
            | set(self.forms)
        )

    @property
    def all_intents(self) -> frozenset[str]:
        return frozenset(self.intents) | set(DEFAULT_INTENTS)

    def entity_tags(self) -> list[str]:
        """Sorted entity tags: names plus ``entity#role`` and ``entity@group``."""
        tags = set(self.entities)
        for entity, roles in self.entity_roles.items():
            tags.update(f"{entity}#{role}" for role in roles)
        for entity, groups in self.entity_groups.items():
            tags.update(f"{entity}@{group}" for group in groups)
        return sorted(tags)

    def to_dict(self) -> dict[str, Any]:
        """JSON-like summary (for fingerprints and debugging)."""
        return {
            "intents": {
                name: {
                    "use_entities": None if c.use_entities is None else sorted(c.use_entities),
                    "ignore_entities": sorted(c.ignore_entities),
                }
                for name, c in sorted(self.intents.items())
            },
            "entities": list(self.entities),
            "roles": {k: list(v) for k, v in sorted(self.entity_roles.items())},
            "groups": {k: list(v) for k, v in sorted(self.entity_groups.items())},
            "slots": {
                name: {
                    "type": s.type,
                    "influence_conversation": s.influence_conversation,
                    "values": list(s.values),
                    "min_value": s.min_value,
                    "max_value": s.max_value,
                }
                for name, s in sorted(self.slots.items())
            },
            "forms": {k: list(v) for k, v in sorted(self.forms.items())},
            "actions": sorted(self.actions),
            "responses": sorted(self.responses),
        }


def _names(items: Any) -> list[tuple[str, Any, int]]:
    """(name, options, line) for a list of ``name`` / ``{name: options}`` items or a mapping."""
    out: list[tuple[str, Any, int]] = []
    if isinstance(items, dict):
        for key, value in items.items():
            out.append((str(key), value, line_of(items, key)))
    elif isinstance(items, list):
        for index, item in enumerate(items):
            line = line_of(items, index)
            if isinstance(item, dict):
                for key, value in item.items():
                    out.append((str(key), value, line))
            elif item is not None:
                out.append((str(item), None, line))
    return out


class _DomainBuilder:
    def __init__(self) -> None:
        self.found = Findings()
        self.intents: dict[str, IntentConfig] = {}
        self.entities: list[str] = []
        self.roles: dict[str, set[str]] = {}
        self.groups: dict[str, set[str]] = {}
        self.raw_slots: list[tuple[str, Any, str, int]] = []
        self.forms: dict[str, tuple[str, ...]] = {}
        self.form_mappings: dict[str, Any] = {}
        self.actions: list[str] = []
        self.responses: list[str] = []
        self.version: str | None = None
        self.lines: dict[str, tuple[str, int]] = {}
        # (slot, position among its mappings) -> where the mapping is written
        self.mapping_sites: dict[tuple[str, int], tuple[str, int]] = {}

    def add_file(self, data: Any, name: str) -> None:
        if data is None:
            return
        if not isinstance(data, dict):
            self.found.error(name, own_line(data, 1), "domain must be a mapping")
            return
        if "version" in data:
            self.version = str(data["version"])
        for intent, options, line in _names(data.get("intents") or []):
            self.lines.setdefault(f"intent:{intent}", (name, line))
            use: frozenset[str] | None = None
            ignore: frozenset[str] = frozenset()
            if isinstance(options, dict):
                raw_use = options.get("use_entities", True)
                if isinstance(raw_use, list):
                    use = frozenset(str(e) for e in raw_use)
                elif raw_use is False:
                    use = frozenset()
                ignore = frozenset(str(e) for e in options.get("ignore_entities") or [])
                if options.get("triggers"):
                    self.found.warn(
                        name,
                        line,
                        f"intent '{intent}' triggers '{options['triggers']}' (Rasa 1.x "
                        "MappingPolicy): not read; write it as a rule (- intent: "
                        f"{intent}, - action: {options['triggers']}), as Rasa 2 and 3 need",
                    )
            self.intents[intent] = IntentConfig(intent, use, ignore)
        for entity, options, line in _names(data.get("entities") or []):
            self.lines.setdefault(f"entity:{entity}", (name, line))
            if entity not in self.entities:
                self.entities.append(entity)
            if isinstance(options, dict):
                self.roles.setdefault(entity, set()).update(map(str, options.get("roles") or []))
                self.groups.setdefault(entity, set()).update(map(str, options.get("groups") or []))
        for slot, options, line in _names(data.get("slots") or {}):
            self.lines.setdefault(f"slot:{slot}", (name, line))
            self.raw_slots.append((slot, options, name, line))
        forms = data.get("forms") or {}
        for form, options, line in _names(forms):
            self.lines.setdefault(f"form:{form}", (name, line))
            required: tuple[str, ...] = ()
            if isinstance(options, dict) and "required_slots" in options:
                req = options["required_slots"]
                required = tuple(str(s) for s in (req if isinstance(req, list) else list(req)))
            elif isinstance(options, dict):  # 2.0: {slot: [mappings]}
                required = tuple(str(s) for s in options)
                self.form_mappings[form] = options
            self.forms[form] = required
        for action, _, line in _names(data.get("actions") or []):
            self.lines.setdefault(f"action:{action}", (name, line))
            if action not in self.actions:
                self.actions.append(action)
        self.add_responses(data.get("responses") or data.get("templates") or {}, name)

    def add_responses(self, responses: Any, file: str) -> None:
        """Responses of a domain file (or of a data file: Rasa merges those in)."""
        for response, _, line in _names(responses):
            self.lines.setdefault(f"action:{response}", (file, line))
            action = retrieval_action(response)
            if action is not None:
                self.lines.setdefault(f"action:{action}", (file, line))
            if response not in self.responses:
                self.responses.append(response)

    def _mapping(self, raw: Any, file: str, line: int, slot: str) -> SlotMapping | None:
        if not isinstance(raw, dict) or "type" not in raw:
            self.found.error(file, line, f"slot '{slot}': a mapping needs a 'type'")
            return None

        def as_tuple(value: Any) -> tuple[str, ...]:
            if value is None:
                return ()
            return tuple(str(v) for v in value) if isinstance(value, list) else (str(value),)

        kind = str(raw["type"])
        entity = raw.get("entity")
        if kind == "from_entity" and entity is None:
            self.found.error(
                file, own_line(raw, line), f"slot '{slot}': from_entity needs 'entity'"
            )
        conditions = raw.get("conditions") or []
        conditional = any(isinstance(c, dict) and c.get("active_loop") for c in conditions)
        return SlotMapping(
            type=kind,
            entity=None if entity is None else str(entity),
            role=raw.get("role"),
            group=raw.get("group"),
            intents=as_tuple(raw.get("intent")),
            not_intents=as_tuple(raw.get("not_intent")),
            value=raw.get("value"),
            conditional=conditional,
        )

    def _slot(self, slot: str, options: Any, file: str, line: int, legacy: bool) -> Slot | None:
        found = self.found
        if not isinstance(options, dict):
            found.error(file, line, f"slot '{slot}' must be a mapping with a 'type'")
            return None
        raw_type = str(options.get("type", ""))
        kind = normalize_slot_type(raw_type)
        if kind is None:
            found.error(
                file, line_of(options, "type", line), f"slot '{slot}' has unknown type '{raw_type}'"
            )
            return None
        influence = bool(
            options.get("influence_conversation", raw_type != "unfeaturized" and kind != "any")
        )
        if kind == "any" and options.get("influence_conversation") is True:
            found.error(
                file,
                line_of(options, "influence_conversation", line),
                f"slot '{slot}' of type any cannot influence the conversation",
            )
        values: tuple[str, ...] = ()
        if kind == "categorical":
            values = self._categories(slot, options.get("values"), file, line)
        mappings: list[SlotMapping] = []
        raw_mappings = options.get("mappings") or []
        for index, raw in enumerate(raw_mappings):
            mapping_line = line_of(raw_mappings, index, line)
            mapping = self._mapping(raw, file, mapping_line, slot)
            if mapping is not None:
                self.mapping_sites[(slot, len(mappings))] = (file, mapping_line)
                mappings.append(mapping)
        try:
            min_value = float(options.get("min_value", 0.0))
            max_value = float(options.get("max_value", 1.0))
        except (TypeError, ValueError):
            found.error(file, line, f"float slot '{slot}': min_value/max_value must be numbers")
            min_value, max_value = 0.0, 1.0
        if kind == "float" and min_value >= max_value:
            found.error(file, line, f"float slot '{slot}': min_value must be below max_value")
        return Slot(
            name=slot,
            type=kind,
            influence_conversation=influence,
            values=values,
            min_value=min_value,
            max_value=max_value,
            initial_value=options.get("initial_value"),
            mappings=tuple(mappings),
            auto_fill=bool(options.get("auto_fill", True)) if legacy else False,
        )

    def _categories(self, slot: str, raw: Any, file: str, line: int) -> tuple[str, ...]:
        """Lower-cased values plus ``__other__``; ``null`` is not a value (Rasa drops it)."""
        if raw is not None and not isinstance(raw, list):
            self.found.error(file, line, f"categorical slot '{slot}': 'values' must be a list")
            raw = []
        if not raw:
            self.found.warn(
                file,
                line,
                f"categorical slot '{slot}' lists no values; every value counts as '{OTHER_VALUE}'",
            )
        if any(value is None for value in raw or []):
            self.found.warn(
                file,
                line,
                f"categorical slot '{slot}' lists null as a value; null means 'not set' and "
                "is left out (quote it to mean the text 'null')",
            )
        lowered = [str(v).lower() for v in raw or [] if v is not None]
        return (*dict.fromkeys(v for v in lowered if v != OTHER_VALUE), OTHER_VALUE)

    def _checked_mappings(self, slot: Slot) -> tuple[SlotMapping, ...]:
        """The slot's mappings Rasa would use: one naming an unknown entity (from_entity) or
        intent (from_intent) is skipped with a warning, as Rasa skips it when filling slots."""
        kept: list[SlotMapping] = []
        known_intents = set(self.intents) | set(DEFAULT_INTENTS)
        for position, mapping in enumerate(slot.mappings):
            file, line = self.mapping_sites.get((slot.name, position), ("", 0))
            if mapping.type == "from_entity" and mapping.entity not in self.entities:
                self.found.warn(
                    file,
                    line,
                    f"slot '{slot.name}' maps from unknown entity '{mapping.entity}'; "
                    "the mapping is skipped",
                )
                continue
            unknown = [
                i for i in (*mapping.intents, *mapping.not_intents) if i not in known_intents
            ]
            if unknown and mapping.type == "from_intent":
                self.found.warn(
                    file,
                    line,
                    f"slot '{slot.name}' mapping names unknown intent '{unknown[0]}'; "
                    "the mapping is skipped",
                )
                continue
            for intent in unknown:
                self.found.warn(
                    file,
                    line,
                    f"slot '{slot.name}' mapping names unknown intent '{intent}'; it never matches",
                )
            kept.append(mapping)
        return tuple(kept)

    def build(self) -> Domain:
        """The domain; raises DataValidationError on errors (warnings go in ``warnings``)."""
        legacy = self.version is None or self.version.startswith(("1.", "2."))
        slots: dict[str, Slot] = {}
        for slot_name, options, file, line in self.raw_slots:
            slot = self._slot(slot_name, options, file, line, legacy)
            if slot is not None:
                slots[slot_name] = slot
        for name, slot in slots.items():
            mappings = self._checked_mappings(slot)
            if mappings != slot.mappings:
                slots[name] = replace(slot, mappings=mappings)
        if self.forms and REQUESTED_SLOT not in slots:
            slots[REQUESTED_SLOT] = Slot(REQUESTED_SLOT, "text", influence_conversation=False)
        for key, (file, line) in self.lines.items():
            kind, _, name = key.partition(":")
            if kind == "form":
                for required in self.forms.get(name, ()):
                    if required not in slots:
                        self.found.error(
                            file, line, f"form '{name}' requires unknown slot '{required}'"
                        )
            if kind == "intent":
                config = self.intents[name]
                for entity in (config.use_entities or frozenset()) | config.ignore_entities:
                    if entity not in self.entities:
                        self.found.warn(
                            file, line, f"intent '{name}' names unknown entity '{entity}'"
                        )
        if self.found.errors:
            raise DataValidationError(self.found.errors, self.found.warnings)
        return Domain(
            intents=self.intents,
            entities=tuple(self.entities),
            entity_roles={k: tuple(sorted(v)) for k, v in self.roles.items() if v},
            entity_groups={k: tuple(sorted(v)) for k, v in self.groups.items() if v},
            slots=slots,
            forms=self.forms,
            actions=tuple(self.actions),
            responses=tuple(self.responses),
            version=self.version,
            files=tuple(sorted({file for file, _ in self.lines.values()})),
            lines=self.lines,
            warnings=tuple(sorted(set(self.found.warnings))),
        )


def domain_files(path: Path) -> list[Path]:
    """The domain file itself, or every YAML file below a domain directory (sorted)."""
    if path.is_dir():
        return sorted(p for p in path.rglob("*") if p.suffix in (".yml", ".yaml") and p.is_file())
    return [path]


def read_domain(
    path: str | Path,
    display_root: Path | None = None,
    responses: Iterable[tuple[Any, str]] = (),
) -> Domain:
    """The domain of a file or directory, plus ``responses`` of data files (parsed YAML and
    file name). Errors raise DataValidationError; warnings are in ``Domain.warnings``."""
    root = Path(path)
    if not root.exists():
        raise DataValidationError([Issue(str(root), 0, "domain file or directory not found")])
    builder = _DomainBuilder()
    for file in domain_files(root):
        display = _display(file, display_root)
        try:
            builder.add_file(load_yaml(file, display), display)
        except YamlProblem as e:
            builder.found.errors.append(e.issue)
    for raw, source in responses:
        builder.add_responses(raw, source)
    return builder.build()


def load_domain(
    path: str | Path, display_root: Path | None = None, *, strict: bool = False
) -> Domain:
    """Read a domain file or directory; every error found is raised in one
    DataValidationError. Warnings are logged and kept in ``Domain.warnings``; with
    ``strict`` they are raised as errors."""
    found = Findings()
    try:
        domain = read_domain(path, display_root)
    except DataValidationError as e:
        found.add_error(e)
        finish(found, strict)  # there are errors: this raises them
        raise
    found.warnings.extend(domain.warnings)
    finish(found, strict)
    return domain


def with_actions(domain: Domain, names: Iterable[str]) -> Domain:
    """The domain with ``names`` as actions too (retrieval responses a story runs itself)."""
    extra = tuple(name for name in dict.fromkeys(names) if name not in domain.actions)
    return replace(domain, actions=(*domain.actions, *extra)) if extra else domain


def _display(file: Path, root: Path | None) -> str:
    if root is not None:
        try:
            return str(file.relative_to(root))
        except ValueError:
            pass
    return str(file)


def merge_issues(*groups: Iterable[Issue]) -> list[Issue]:
    return [issue for group in groups for issue in group]
