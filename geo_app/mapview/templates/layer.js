{# One catalog layer. Tooltip and popup strings were built and escaped on the server;
   no other property is ever handed to Leaflet as HTML. A popup arrives as indexes into
   the layer's popup pieces, each already escaped; joined, they are the server's string. #}
{% macro script(this, kwargs) %}
var {{ this.get_name() }} = (function () {
    var rules = {{ this.rules|js_value }};
    var packed = {{ this.packed }};
    function popupOf(indexes) {
        return indexes.map(function (i) { return packed.popupPieces[i]; }).join("");
    }
    function styleOf(feature) {
        var p = feature.properties || {}, s = Object.assign({}, rules.base);
        if (rules.colorBy && Object.prototype.hasOwnProperty.call(rules.palette, p[rules.colorBy])) {
            s.color = s.fillColor = rules.palette[p[rules.colorBy]];
        }
        var a = rules.accuracy[p.accuracy];
        if (a) {
            if (a.dashArray) { s.dashArray = a.dashArray; }
            s.opacity *= a.opacityFactor;
            s.fillOpacity *= a.fillOpacityFactor;
        }
        return s;
    }
    var options = {
        interactive: rules.interactive,
        attribution: rules.attribution,
        style: styleOf,
        pointToLayer: function (feature, latlng) {
            var s = styleOf(feature);
            if (rules.pane) { s.pane = rules.pane; }
            return L.circleMarker(latlng, s);
        },
        onEachFeature: function (feature, layer) {
            var p = feature.properties || {};
            if (p._tooltip) { layer.bindTooltip(p._tooltip, {sticky: true}); }
            if (p._popup) { layer.bindPopup(popupOf(p._popup), {maxWidth: 360}); }
        }
    };
    // A named pane (the offline backdrop under online tiles) keeps its place below the
    // plan layers whenever it is added.
    if (rules.pane) { options.pane = rules.pane; }
    return L.geoJSON(packed.data, options);
})().addTo({{ this._parent.get_name() }});
{% endmacro %}
