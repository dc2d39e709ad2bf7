// The instance's pinned diagram in bpmn-js's viewer, with passed, open and overdue elements marked.
(function () {
  var holder = document.getElementById("diagram");
  var data = JSON.parse(document.getElementById("diagram-data").textContent);
  var viewer = new BpmnJS({ container: holder });
  viewer.importXML(data.xml).then(function () {
    var canvas = viewer.get("canvas"), registry = viewer.get("elementRegistry");
    function mark(ids, css) {
      ids.forEach(function (id) { if (registry.get(id)) canvas.addMarker(id, css); });
    }
    mark(data.passed.filter(function (id) { return data.open.indexOf(id) < 0; }), "bf-passed");
    mark(data.open.filter(function (id) { return data.overdue.indexOf(id) < 0; }), "bf-open");
    mark(data.overdue, "bf-overdue");
    canvas.zoom("fit-viewport");
    // a long diagram fitted into the box is too small to read: show the part where the work stands instead
    var focus = data.overdue[0] || data.open[0] || data.passed[data.passed.length - 1];
    if (focus && registry.get(focus) && canvas.viewbox().scale < 0.6) {
      canvas.zoom(0.75);
      var el = registry.get(focus), box = canvas.viewbox();
      canvas.scroll({ dx: (box.x + box.width / 2 - (el.x + el.width / 2)) * box.scale,
                      dy: (box.y + box.height / 2 - (el.y + el.height / 2)) * box.scale });
    }
    holder.dataset.ready = "1";
  }).catch(function () {
    holder.textContent = "流程图无法显示。";
    holder.dataset.ready = "error";
  });
})();
