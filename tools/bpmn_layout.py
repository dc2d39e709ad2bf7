"""Dev tool: write a BPMN 2.0 file with diagram interchange from a compact description.

The committed ``bpmn/*.bpmn`` files are the source of truth (they open and edit in bpmn.io);
this tool only saves hand-placing coordinates when a diagram is first drawn. Elements sit in
a grid: one row per lane (role), one column per step; edges are routed orthogonally.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from xml.sax.saxutils import escape, quoteattr

NS = (
    'xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
    'xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" '
    'xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" '
    'xmlns:di="http://www.omg.org/spec/DD/20100524/DI" '
    'xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
)
SIZES = {"task": (120, 80), "event": (36, 36), "gateway": (50, 50)}
COL_W, LANE_H, LEFT = 170, 170, 200


@dataclass
class El:
    id: str
    kind: str  # startEvent endEvent userTask scriptTask exclusiveGateway parallelGateway intermediateCatchEvent
    name: str
    lane: str
    col: float
    props: dict = field(default_factory=dict)
    script: str | None = None
    message: str | None = None
    timer: str | None = None
    default: str | None = None
    row_shift: float = 0.0


@dataclass
class Boundary:
    id: str
    name: str
    attached: str
    timer: str
    props: dict = field(default_factory=dict)
    slot: int = 0


@dataclass
class Flow:
    id: str
    src: str
    tgt: str
    name: str | None = None
    cond: str | None = None


def _shape_kind(kind: str) -> str:
    if kind.endswith("Task"):
        return "task"
    if kind.endswith("Gateway"):
        return "gateway"
    return "event"


def _ext(props: dict) -> str:
    if not props:
        return ""
    rows = "".join(f"<spiffworkflow:property name={quoteattr(k)} value={quoteattr(str(v))}/>" for k, v in props.items())
    return f"<bpmn:extensionElements><spiffworkflow:properties>{rows}</spiffworkflow:properties></bpmn:extensionElements>"


def render(process_id: str, name: str, lanes: list[tuple[str, str]], els: list[El], flows: list[Flow],
           boundaries: list[Boundary] = (), messages: list[str] = ()) -> str:
    """Return the BPMN XML text of one process with a participant, lanes and full DI."""
    lane_index = {code: i for i, (code, _) in enumerate(lanes)}
    by_id = {e.id: e for e in els}
    bounds = {}
    for e in els:
        w, h = SIZES[_shape_kind(e.kind)]
        cx = LEFT + e.col * COL_W
        cy = 60 + lane_index[e.lane] * LANE_H + LANE_H / 2 + e.row_shift
        bounds[e.id] = (cx - w / 2, cy - h / 2, w, h)
    for b in boundaries:
        x, y, w, h = bounds[b.attached]
        bounds[b.id] = (x + 8 + b.slot * 40 - 18 + 18, y + h - 18, 36, 36)
    incoming, outgoing = {}, {}
    for f in flows:
        outgoing.setdefault(f.src, []).append(f.id)
        incoming.setdefault(f.tgt, []).append(f.id)

    def io(eid):
        return "".join(f"<bpmn:incoming>{i}</bpmn:incoming>" for i in incoming.get(eid, [])) + "".join(
            f"<bpmn:outgoing>{o}</bpmn:outgoing>" for o in outgoing.get(eid, []))

    body = []
    for e in els:
        attrs = f'id="{e.id}" name={quoteattr(e.name)}'
        if e.default:
            attrs += f' default="{e.default}"'
        inner = _ext(e.props) + io(e.id)
        if e.kind == "scriptTask":
            inner += f"<bpmn:script>{escape(e.script)}</bpmn:script>"
        if e.message:
            inner += f'<bpmn:messageEventDefinition id="{e.id}_def" messageRef="msg_{e.message}"/>'
        if e.timer:
            inner += (f'<bpmn:timerEventDefinition id="{e.id}_def"><bpmn:timeDate xsi:type="bpmn:tFormalExpression">'
                      f"{escape(e.timer)}</bpmn:timeDate></bpmn:timerEventDefinition>")
        body.append(f"<bpmn:{e.kind} {attrs}>{inner}</bpmn:{e.kind}>")
    for b in boundaries:
        body.append(
            f'<bpmn:boundaryEvent id="{b.id}" name={quoteattr(b.name)} attachedToRef="{b.attached}" cancelActivity="false">'
            f"{_ext(b.props)}{io(b.id)}"
            f'<bpmn:timerEventDefinition id="{b.id}_def"><bpmn:timeDate xsi:type="bpmn:tFormalExpression">'
            f"{escape(b.timer)}</bpmn:timeDate></bpmn:timerEventDefinition></bpmn:boundaryEvent>")
    for f in flows:
        attrs = f'id="{f.id}" sourceRef="{f.src}" targetRef="{f.tgt}"' + (f" name={quoteattr(f.name)}" if f.name else "")
        cond = (f'<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">{escape(f.cond)}</bpmn:conditionExpression>'
                if f.cond else "")
        body.append(f"<bpmn:sequenceFlow {attrs}>{cond}</bpmn:sequenceFlow>")
    lane_xml = []
    members = {code: [] for code, _ in lanes}
    for e in els:
        members[e.lane].append(e.id)
    for b in boundaries:
        members[by_id[b.attached].lane].append(b.id)
    for code, label in lanes:
        refs = "".join(f"<bpmn:flowNodeRef>{m}</bpmn:flowNodeRef>" for m in members[code])
        lane_xml.append(f'<bpmn:lane id="lane_{code}" name={quoteattr(label)}>{refs}</bpmn:lane>')
    width = LEFT + (max(e.col for e in els) + 1) * COL_W
    height = len(lanes) * LANE_H
    shapes = [f'<bpmndi:BPMNShape id="participant_{process_id}_di" bpmnElement="participant_{process_id}" isHorizontal="true">'
              f'<dc:Bounds x="100" y="60" width="{width}" height="{height}"/></bpmndi:BPMNShape>']
    for i, (code, _) in enumerate(lanes):
        shapes.append(f'<bpmndi:BPMNShape id="lane_{code}_di" bpmnElement="lane_{code}" isHorizontal="true">'
                      f'<dc:Bounds x="130" y="{60 + i * LANE_H}" width="{width - 30}" height="{LANE_H}"/></bpmndi:BPMNShape>')
    for eid, (x, y, w, h) in bounds.items():
        marker = ' isMarkerVisible="true"' if eid in by_id and by_id[eid].kind == "exclusiveGateway" else ""
        shapes.append(f'<bpmndi:BPMNShape id="{eid}_di" bpmnElement="{eid}"{marker}>'
                      f'<dc:Bounds x="{x:.0f}" y="{y:.0f}" width="{w}" height="{h}"/></bpmndi:BPMNShape>')
    edges = []
    for f in flows:
        edges.append(f'<bpmndi:BPMNEdge id="{f.id}_di" bpmnElement="{f.id}">' + "".join(
            f'<di:waypoint x="{x:.0f}" y="{y:.0f}"/>' for x, y in _route(bounds[f.src], bounds[f.tgt], f.src in {b.id for b in boundaries}))
            + "</bpmndi:BPMNEdge>")
    msgs = "".join(f'<bpmn:message id="msg_{m}" name="{m}"/>' for m in messages)
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<bpmn:definitions {NS} id="defs_{process_id}" '
            f'targetNamespace="http://branchflow.local/bpmn" exporter="branchflow tools/bpmn_layout.py" exporterVersion="1">\n'
            f'<bpmn:collaboration id="collab_{process_id}"><bpmn:participant id="participant_{process_id}" '
            f'name={quoteattr(name)} processRef="{process_id}"/></bpmn:collaboration>\n{msgs}\n'
            f'<bpmn:process id="{process_id}" name={quoteattr(name)} isExecutable="true">\n'
            f'<bpmn:laneSet id="laneset_{process_id}">{"".join(lane_xml)}</bpmn:laneSet>\n'
            + "\n".join(body) +
            f'\n</bpmn:process>\n<bpmndi:BPMNDiagram id="diagram_{process_id}"><bpmndi:BPMNPlane id="plane_{process_id}" '
            f'bpmnElement="collab_{process_id}">\n' + "\n".join(shapes + edges) +
            "\n</bpmndi:BPMNPlane></bpmndi:BPMNDiagram>\n</bpmn:definitions>\n")


def _route(a, b, from_boundary):
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    if from_boundary:
        sx, sy = ax + aw / 2, ay + ah
        ex, ey = bx, by + bh / 2
        return [(sx, sy), (sx, ey), (ex, ey)] if ex > sx else [(sx, sy), (sx, ey + 40), (ex + bw / 2, ey + 40), (ex + bw / 2, by + bh)]
    sx, sy = ax + aw, ay + ah / 2
    ex, ey = bx, by + bh / 2
    if ex > sx:
        if abs(sy - ey) < 1:
            return [(sx, sy), (ex, ey)]
        mid = (sx + ex) / 2
        return [(sx, sy), (mid, sy), (mid, ey), (ex, ey)]
    # back edge: leave from the bottom, run under both, enter from the bottom
    low = max(ay + ah, by + bh) + 25
    return [(ax + aw / 2, ay + ah), (ax + aw / 2, low), (bx + bw / 2, low), (bx + bw / 2, by + bh)]
