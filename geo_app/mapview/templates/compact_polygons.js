{# Polygons sent compact: per polygon its rings, each a flat list of whole 1e-5 degrees (the
   first vertex, then each step from the one before). Used for the reference layers (in
   their pane under the plan layers; a tooltip and a popup joined from the layer's pieces,
   its class and its cells) and for the conflict pieces (over the parcels; a tooltip and a
   popup of their own). Every text piece was escaped on the server; the page only joins
   them. #}
{% macro script(this, kwargs) %}
var {{ this.get_name() }} = (function () {
    var d = {{ this.payload }};
    var s = {{ this.style|js_value }};
    var t = {{ this.texts|js_value }};
    function ring(flat) {
        var out = [], x = 0, y = 0;
        for (var i = 0; i + 1 < flat.length; i += 2) {
            x += flat[i];
            y += flat[i + 1];
            out.push([y / 1e5, x / 1e5]);
        }
        return out;
    }
    function classOf(i) { return d.c ? d.c[i] : -1; }
    function tooltip(i) {
        if (t.tooltips) { return t.tooltips[i]; }
        var c = classOf(i);
        return t.tooltipHead + (c >= 0 ? t.classSeparator + t.classes[c] : "") + t.tooltipTail;
    }
    function popup(i) {
        if (t.popups) { return t.popups[i]; }
        var c = classOf(i), rows = [t.popupHead];
        if (c >= 0) { rows.push(t.classRow + t.classes[c] + "</td></tr>"); }
        var cells = (d.v && d.v[i]) || [];
        for (var k = 0; k < cells.length; k++) {
            if (cells[k] > 0) {
                rows.push("<tr><th>" + d.cols[k] + "</th><td>" + d.vals[cells[k] - 1] + "</td></tr>");
            }
        }
        rows.push(t.popupTail);
        return rows.join("");
    }
    var group = L.featureGroup();
    d.g.forEach(function (parts, i) {
        var style = Object.assign({pane: s.pane}, s.base);
        var c = classOf(i);
        if (s.palette && c >= 0) { style.fillColor = s.palette[c]; }
        var shape = L.polygon(parts.map(function (rings) { return rings.map(ring); }), style);
        shape.bindTooltip(function () { return tooltip(i); }, {sticky: true});
        shape.bindPopup(function () { return popup(i); }, {maxWidth: 360});
        group.addLayer(shape);
    });
    return group;
})().addTo({{ this._parent.get_name() }});
{% endmacro %}
