{# The hatching that fills conflict pieces and their legend swatch: one SVG pattern in the
   page, referred to by its id (a fill of "url(#id)"). #}
{% macro script(this, kwargs) %}
(function () {
    if (document.getElementById({{ this.pattern_id|js_value }})) { return; }
    var ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("width", "0");
    svg.setAttribute("height", "0");
    svg.setAttribute("aria-hidden", "true");
    svg.style.position = "absolute";
    var pattern = document.createElementNS(ns, "pattern");
    pattern.setAttribute("id", {{ this.pattern_id|js_value }});
    pattern.setAttribute("patternUnits", "userSpaceOnUse");
    pattern.setAttribute("width", "8");
    pattern.setAttribute("height", "8");
    pattern.setAttribute("patternTransform", "rotate(45)");
    var back = document.createElementNS(ns, "rect");
    back.setAttribute("width", "8");
    back.setAttribute("height", "8");
    back.setAttribute("fill", {{ this.color|js_value }});
    back.setAttribute("fill-opacity", "0.12");
    var line = document.createElementNS(ns, "line");
    line.setAttribute("x1", "0");
    line.setAttribute("y1", "0");
    line.setAttribute("x2", "0");
    line.setAttribute("y2", "8");
    line.setAttribute("stroke", {{ this.color|js_value }});
    line.setAttribute("stroke-width", "3");
    line.setAttribute("stroke-opacity", "0.6");
    pattern.appendChild(back);
    pattern.appendChild(line);
    svg.appendChild(pattern);
    document.body.appendChild(svg);
})();
{% endmacro %}
