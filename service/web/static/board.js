// 督导看板: the print button (the page prints with its own print stylesheet)
document.querySelectorAll("[data-print]").forEach(function (b) { b.addEventListener("click", function () { window.print(); }); });
