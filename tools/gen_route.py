"""Generate bpmn/nomination.bpmn (semantics + BPMNDI layout).

The route is drawn once by this script so the layout stays tidy when steps
change; the generated file is what gets deployed and what modelers open.
Run: python tools/gen_route.py > bpmn/nomination.bpmn
"""

from xml.sax.saxutils import escape

LANES = [  # (id = role code, Vietnamese label)
    ("unit_clerk", "Cán bộ TĐKT đơn vị"),
    ("unit_head", "Thủ trưởng đơn vị"),
    ("secretariat", "Vụ TCCB – bộ phận TĐKT"),
    ("council_member", "Hội đồng Thi đua - Khen thưởng"),
    ("reviewer", "Lãnh đạo Vụ TCCB (thẩm định)"),
    ("minister", "Bộ trưởng"),
]
LANE_H = 230
ROW_Y = 80  # main flow runs this far below a lane's top; timer chains hang below it
LANE_X = 160
COL_W = 120
X0 = 220

# id: (kind, lane, column, name, extra)
NODES = {
    "start_event": ("startEvent", "unit_clerk", 0, "Bắt đầu", {}),
    "gw_draft_merge": ("exclusiveGateway", "unit_clerk", 1, "", {}),
    "draft": ("userTask", "unit_clerk", 2, "Lập hồ sơ đề nghị", {"form": "dossier"}),
    "head_review": ("userTask", "unit_head", 3, "Thủ trưởng đơn vị duyệt", {"form": "head_review"}),
    "gw_head": ("exclusiveGateway", "unit_head", 4, "Ý kiến thủ trưởng?", {}),
    "set_withdrawn": ("scriptTask", "unit_head", 5, "Rút hồ sơ", {"script": 'outcome = "withdrawn"'}),
    "end_withdrawn": ("endEvent", "unit_head", 6, "Đã rút", {}),
    "gw_check_merge": ("exclusiveGateway", "secretariat", 5, "", {}),
    "secretariat_check": ("userTask", "secretariat", 6, "Kiểm tra hồ sơ", {"form": "secretariat_check"}),
    "gw_check": ("exclusiveGateway", "secretariat", 7, "Kết quả kiểm tra?", {}),
    "set_rejected_check": ("scriptTask", "secretariat", 8, "Không đủ điều kiện", {"script": 'outcome = "rejected"', "dy": 55}),
    "end_rejected_check": ("endEvent", "secretariat", 9, "Không khen thưởng", {"dy": 55}),
    "gw_route": ("exclusiveGateway", "secretariat", 8, "Cần Hội đồng bỏ phiếu?", {}),
    "gw_disclosure": ("exclusiveGateway", "secretariat", 9, "Phải công khai?", {}),
    "disclosure": ("userTask", "secretariat", 10, "Công khai, tiếp nhận ý kiến", {"form": "disclosure"}),
    "gw_vote_merge": ("exclusiveGateway", "council_member", 10, "", {"dx": -60}),
    "council_vote": ("userTask", "council_member", 11, "Bỏ phiếu kín", {"form": "vote", "mi": True}),
    "gw_council": ("exclusiveGateway", "council_member", 12, "Đạt tỷ lệ?", {}),
    "set_rejected_council": ("scriptTask", "council_member", 13, "Không đạt", {"script": 'outcome = "rejected"'}),
    "end_rejected_council": ("endEvent", "council_member", 14, "Không khen thưởng", {}),
    "gw_appraisal_merge": ("exclusiveGateway", "reviewer", 13, "", {}),
    "appraisal": ("userTask", "reviewer", 14, "Thẩm định", {"form": "appraisal"}),
    "gw_appraisal": ("exclusiveGateway", "reviewer", 15, "Kết quả thẩm định?", {}),
    "minister_sign": ("userTask", "minister", 16, "Bộ trưởng ký", {"form": "minister_sign"}),
    "gw_sign": ("exclusiveGateway", "minister", 17, "Ý kiến Bộ trưởng?", {}),
    "set_submitted": ("scriptTask", "minister", 18, "Trình Thủ tướng", {"script": 'outcome = "submitted"', "dy": -50}),
    "end_submitted": ("endEvent", "minister", 19, "Đã trình cấp trên", {"dy": -50}),
    "issue_decision": ("scriptTask", "minister", 18, "Ban hành quyết định", {"script": 'outcome = "awarded"', "dy": 60}),
    "end_awarded": ("endEvent", "minister", 19, "Đã khen thưởng", {"dy": 60}),
}

# Steps with a deadline: a non-interrupting reminder two working days before it and a
# non-interrupting escalation when it passes. The service reacts to a fired timer by its id's
# suffix (_reminder, _escalation, _window); the dates come from helpers the script engine exposes.
TIMED_STEPS = ["draft", "head_review", "secretariat_check", "council_vote", "appraisal", "minister_sign"]
BOUNDARY = {}  # id: (host, cancel activity, timeDate expression, name, x offset on the host)
for step in TIMED_STEPS:
    BOUNDARY[f"{step}_reminder"] = (step, False, f'reminder_at("{step}")', "Nhắc hạn", 20)
    BOUNDARY[f"{step}_escalation"] = (step, False, f'deadline_at("{step}")', "Quá hạn", 80)
# The public disclosure window: when it ends without an objection the council votes.
BOUNDARY["disclosure_window"] = ("disclosure", True, 'deadline_at("disclosure")', "Hết thời gian công khai", 80)
for boundary_id, (host, cancel, _expr, _name, _dx) in BOUNDARY.items():
    if not cancel:
        label = "Đã nhắc" if boundary_id.endswith("_reminder") else "Đã báo cấp trên"
        NODES[f"{boundary_id}_end"] = ("endEvent", NODES[host][1], NODES[host][2], label, {"below": boundary_id})

# (id, source, target, name, condition or None, default?)
FLOWS = [
    ("f_start", "start_event", "gw_draft_merge", "", None),
    ("f_to_draft", "gw_draft_merge", "draft", "", None),
    ("f_draft_head", "draft", "head_review", "", None),
    ("f_head_gw", "head_review", "gw_head", "", None),
    ("f_head_approve", "gw_head", "gw_check_merge", "Đồng ý", 'decision == "approve"'),
    ("f_head_return", "gw_head", "gw_draft_merge", "Trả lại", 'decision == "return"'),
    ("f_head_withdraw", "gw_head", "set_withdrawn", "Rút", 'decision == "withdraw"'),
    ("f_withdrawn_end", "set_withdrawn", "end_withdrawn", "", None),
    ("f_to_check", "gw_check_merge", "secretariat_check", "", None),
    ("f_check_gw", "secretariat_check", "gw_check", "", None),
    ("f_check_approve", "gw_check", "gw_route", "Đủ hồ sơ", 'decision == "approve"'),
    ("f_route_disclosure", "gw_route", "gw_disclosure", "Bỏ phiếu", "needs_vote and not council_done"),
    ("f_disclose", "gw_disclosure", "disclosure", "Công khai", "needs_disclosure"),
    ("f_no_disclosure", "gw_disclosure", "gw_vote_merge", "Không cần", "default"),
    ("f_objection", "disclosure", "gw_check_merge", "Có ý kiến phản ánh", None),
    ("f_window_ended", "disclosure_window", "gw_vote_merge", "", None),
    ("f_to_vote", "gw_vote_merge", "council_vote", "", None),
    ("f_check_return", "gw_check", "gw_draft_merge", "Bổ sung", 'decision == "return"'),
    ("f_check_reject", "gw_check", "set_rejected_check", "Từ chối", 'decision == "reject"'),
    ("f_rejected_check_end", "set_rejected_check", "end_rejected_check", "", None),
    ("f_route_appraisal", "gw_route", "gw_appraisal_merge", "Không cần / đã bỏ phiếu", "default"),
    ("f_vote_gw", "council_vote", "gw_council", "", None),
    ("f_council_pass", "gw_council", "gw_appraisal_merge", "Đạt", "council_passed"),
    ("f_council_fail", "gw_council", "set_rejected_council", "Không đạt", "default"),
    ("f_rejected_council_end", "set_rejected_council", "end_rejected_council", "", None),
    ("f_to_appraisal", "gw_appraisal_merge", "appraisal", "", None),
    ("f_appraisal_gw", "appraisal", "gw_appraisal", "", None),
    ("f_appraisal_approve", "gw_appraisal", "minister_sign", "Trình ký", 'decision == "approve"'),
    ("f_appraisal_return", "gw_appraisal", "gw_check_merge", "Trả lại", 'decision == "return"'),
    ("f_sign_gw", "minister_sign", "gw_sign", "", None),
    ("f_sign_return", "gw_sign", "gw_appraisal_merge", "Trả lại", 'decision == "return"'),
    ("f_sign_submit", "gw_sign", "set_submitted", "Ký tờ trình", 'decision == "approve" and above_ministry'),
    ("f_sign_award", "gw_sign", "issue_decision", "Ký quyết định", "default"),
    ("f_submitted_end", "set_submitted", "end_submitted", "", None),
    ("f_awarded_end", "issue_decision", "end_awarded", "", None),
]

for boundary_id, (_host, cancel, *_rest) in BOUNDARY.items():
    if not cancel:
        FLOWS.append((f"f_{boundary_id}", boundary_id, f"{boundary_id}_end", "", None))

SIZES = {"userTask": (100, 80), "scriptTask": (100, 80), "exclusiveGateway": (50, 50),
         "startEvent": (36, 36), "endEvent": (36, 36), "boundaryEvent": (36, 36)}
LANE_INDEX = {lane: i for i, (lane, _) in enumerate(LANES)}


def bounds(node_id):
    if node_id in BOUNDARY:  # sits on the bottom edge of its host
        host, _cancel, _expr, _name, dx = BOUNDARY[node_id]
        hx, hy, _hw, hh = bounds(host)
        return hx + dx - 18, hy + hh - 18, 36, 36
    kind, lane, col, _, extra = NODES[node_id]
    w, h = SIZES[kind]
    if "below" in extra:  # the end of a timer chain, under its boundary event
        bx, by, _bw, _bh = bounds(extra["below"])
        return bx, by + 80, w, h
    cx = X0 + col * COL_W + extra.get("dx", 0)
    cy = 60 + LANE_INDEX[lane] * LANE_H + ROW_Y + extra.get("dy", 0)
    return cx - w // 2, cy - h // 2, w, h


def centre(node_id):
    x, y, w, h = bounds(node_id)
    return x + w // 2, y + h // 2


def waypoints(src, dst):
    (sx, sy), (tx, ty) = centre(src), centre(dst)
    if src in BOUNDARY and BOUNDARY[src][1] is False:  # straight down to the chain's end
        return [(sx, sy + 18), (tx, ty - 18)]
    if src in BOUNDARY:  # down, then along to the target
        return [(sx, sy + 18), (sx, ty), (tx - 25, ty)]
    sxb, syb, sw, _sh = bounds(src)
    txb, tyb, _tw, _th = bounds(dst)
    if tx > sx:  # forward: leave right, enter left (elbow when lanes differ)
        start, end = (sxb + sw, sy), (txb, ty)
        if sy == ty:
            return [start, end]
        return [start, (sx + sw // 2 + 20, sy), (sx + sw // 2 + 20, ty), end]
    # backward (a return): go above the source lane row, then left, then down into the target
    lane_top = 60 + min(LANE_INDEX[NODES[src][1]], LANE_INDEX[NODES[dst][1]]) * LANE_H + 12
    start, end = (sx, syb), (tx, tyb)
    return [start, (sx, lane_top), (tx, lane_top), end]


def semantic():
    out = []
    incoming = {n: [] for n in [*NODES, *BOUNDARY]}
    outgoing = {n: [] for n in [*NODES, *BOUNDARY]}
    for fid, src, dst, _, _ in FLOWS:
        outgoing[src].append(fid)
        incoming[dst].append(fid)
    out.append('    <bpmn:laneSet id="lanes">')
    for lane, label in LANES:
        out.append(f'      <bpmn:lane id="{lane}" name="{escape(label)}">')
        for nid, (_, nlane, *_rest) in NODES.items():
            if nlane == lane:
                out.append(f"        <bpmn:flowNodeRef>{nid}</bpmn:flowNodeRef>")
        for bid, (host, *_rest) in BOUNDARY.items():
            if NODES[host][1] == lane:
                out.append(f"        <bpmn:flowNodeRef>{bid}</bpmn:flowNodeRef>")
        out.append("      </bpmn:lane>")
    out.append("    </bpmn:laneSet>")
    defaults = {src: fid for fid, src, _, _, cond in FLOWS if cond == "default"}
    for nid, (kind, _lane, _col, name, extra) in NODES.items():
        attrs = f' id="{nid}"'
        if name:
            attrs += f' name="{escape(name)}"'
        if nid in defaults:
            attrs += f' default="{defaults[nid]}"'
        out.append(f"    <bpmn:{kind}{attrs}>")
        if "form" in extra:
            out.append("      <bpmn:extensionElements>")
            out.append("        <spiffworkflow:properties>")
            out.append(f'          <spiffworkflow:property name="formJsonSchemaFilename" value="{extra["form"]}.schema.json" />')
            out.append("        </spiffworkflow:properties>")
            out.append("      </bpmn:extensionElements>")
        for fid in incoming[nid]:
            out.append(f"      <bpmn:incoming>{fid}</bpmn:incoming>")
        for fid in outgoing[nid]:
            out.append(f"      <bpmn:outgoing>{fid}</bpmn:outgoing>")
        if extra.get("mi"):
            out.append("      <bpmn:multiInstanceLoopCharacteristics>")
            out.append("        <bpmn:loopDataInputRef>council_members</bpmn:loopDataInputRef>")
            out.append('        <bpmn:inputDataItem id="member" name="member" />')
            out.append('        <bpmn:completionCondition xsi:type="bpmn:tFormalExpression">'
                       "vote_closed</bpmn:completionCondition>")
            out.append("      </bpmn:multiInstanceLoopCharacteristics>")
        if "script" in extra:
            out.append(f"      <bpmn:script>{escape(extra['script'])}</bpmn:script>")
        out.append(f"    </bpmn:{kind}>")
    for bid, (host, cancel, expr, name, _dx) in BOUNDARY.items():
        cancel_attr = "" if cancel else ' cancelActivity="false"'
        out.append(f'    <bpmn:boundaryEvent id="{bid}" name="{escape(name)}" attachedToRef="{host}"{cancel_attr}>')
        for fid in outgoing[bid]:
            out.append(f"      <bpmn:outgoing>{fid}</bpmn:outgoing>")
        out.append(f'      <bpmn:timerEventDefinition id="{bid}_timer">')
        out.append(f'        <bpmn:timeDate xsi:type="bpmn:tFormalExpression">{escape(expr)}</bpmn:timeDate>')
        out.append("      </bpmn:timerEventDefinition>")
        out.append("    </bpmn:boundaryEvent>")
    for fid, src, dst, name, cond in FLOWS:
        attrs = f' id="{fid}" sourceRef="{src}" targetRef="{dst}"'
        if name:
            attrs += f' name="{escape(name)}"'
        if cond and cond != "default":
            out.append(f"    <bpmn:sequenceFlow{attrs}>")
            out.append(f'      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">{escape(cond)}'
                       "</bpmn:conditionExpression>")
            out.append("    </bpmn:sequenceFlow>")
        else:
            out.append(f"    <bpmn:sequenceFlow{attrs} />")
    return "\n".join(out)


def diagram():
    width = X0 + 20 * COL_W
    out = ['  <bpmndi:BPMNDiagram id="diagram">', '    <bpmndi:BPMNPlane id="plane" bpmnElement="collaboration">']
    out.append('      <bpmndi:BPMNShape id="participant_di" bpmnElement="participant" isHorizontal="true">')
    out.append(f'        <dc:Bounds x="{LANE_X - 30}" y="60" width="{width - LANE_X + 30}" height="{LANE_H * len(LANES)}" />')
    out.append("      </bpmndi:BPMNShape>")
    for i, (lane, _) in enumerate(LANES):
        out.append(f'      <bpmndi:BPMNShape id="{lane}_di" bpmnElement="{lane}" isHorizontal="true">')
        out.append(f'        <dc:Bounds x="{LANE_X}" y="{60 + i * LANE_H}" width="{width - LANE_X}" height="{LANE_H}" />')
        out.append("      </bpmndi:BPMNShape>")
    for nid in [*NODES, *BOUNDARY]:
        x, y, w, h = bounds(nid)
        kind, label = ("boundaryEvent", BOUNDARY[nid][3]) if nid in BOUNDARY else (NODES[nid][0], NODES[nid][3])
        marker = ' isMarkerVisible="true"' if kind == "exclusiveGateway" else ""
        out.append(f'      <bpmndi:BPMNShape id="{nid}_di" bpmnElement="{nid}"{marker}>')
        out.append(f'        <dc:Bounds x="{x}" y="{y}" width="{w}" height="{h}" />')
        if label and kind not in ("userTask", "scriptTask"):
            out.append("        <bpmndi:BPMNLabel>")
            out.append(f'          <dc:Bounds x="{x - 25}" y="{y + h + 4}" width="{w + 50}" height="27" />')
            out.append("        </bpmndi:BPMNLabel>")
        out.append("      </bpmndi:BPMNShape>")
    for fid, src, dst, _, _ in FLOWS:
        out.append(f'      <bpmndi:BPMNEdge id="{fid}_di" bpmnElement="{fid}">')
        for px, py in waypoints(src, dst):
            out.append(f'        <di:waypoint x="{px}" y="{py}" />')
        out.append("      </bpmndi:BPMNEdge>")
    out += ["    </bpmndi:BPMNPlane>", "  </bpmndi:BPMNDiagram>"]
    return "\n".join(out)


def main():
    print('<?xml version="1.0" encoding="UTF-8"?>')
    print('<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"'
          ' xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI"'
          ' xmlns:dc="http://www.omg.org/spec/DD/20100524/DC"'
          ' xmlns:di="http://www.omg.org/spec/DD/20100524/DI"'
          ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
          ' xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"'
          ' id="vinhdanh_nomination" targetNamespace="https://vinhdanh.example/bpmn"'
          ' exporter="vinhdanh tools/gen_route.py" exporterVersion="1">')
    print('  <bpmn:collaboration id="collaboration">')
    print('    <bpmn:participant id="participant" name="Hồ sơ đề nghị khen thưởng" processRef="nomination" />')
    print("  </bpmn:collaboration>")
    print('  <bpmn:process id="nomination" name="Quy trình xét khen thưởng cấp Bộ" isExecutable="true">')
    print(semantic())
    print("  </bpmn:process>")
    print(diagram())
    print("</bpmn:definitions>")


if __name__ == "__main__":
    main()
