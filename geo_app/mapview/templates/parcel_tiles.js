{# The parcel layer from a PMTiles archive (see mapview/tiles.py). Each parcel is filled and
   outlined in its status colour, dashed and faded by its accuracy, as the GeoJSON layer
   draws it; the page's filters choose which parcels are drawn. No property is ever
   handed to the page as HTML: the tiles hold ids and filter values only. #}
{% macro script(this, kwargs) %}
var {{ this.get_name() }} = (function () {
    var rules = {{ this.rules|js_value }};
    if (typeof protomapsL === "undefined") { return L.layerGroup(); }
    function colourOf(p) {
        if (rules.colorBy && Object.prototype.hasOwnProperty.call(rules.palette, p[rules.colorBy])) {
            return rules.palette[p[rules.colorBy]];
        }
        return null;
    }
    function accuracyOf(p) { return rules.accuracy[p.accuracy] || {}; }
    function shown(p) {
        for (var key in rules.filter) {
            var allowed = rules.filter[key];
            if (allowed !== null && allowed.indexOf(p[key]) < 0) { return false; }
        }
        return true;
    }
    function dashed(p) { return !!(accuracyOf(p).dashArray || rules.base.dashArray); }
    var b = rules.base;
    var fill = new protomapsL.PolygonSymbolizer({
        fill: function (z, f) { return colourOf(f.props) || b.fillColor; },
        opacity: function (z, f) {
            var a = accuracyOf(f.props);
            return b.fillOpacity * (a.fillOpacityFactor === undefined ? 1 : a.fillOpacityFactor);
        },
        perFeature: true
    });
    function lineOpacity(z, f) {
        var a = accuracyOf(f.props);
        return b.opacity * (a.opacityFactor === undefined ? 1 : a.opacityFactor);
    }
    function lineColour(z, f) { return colourOf(f.props) || b.color; }
    var solid = new protomapsL.LineSymbolizer({
        color: lineColour, width: b.weight, opacity: lineOpacity, perFeature: true
    });
    var dashRules = [];
    var patterns = {};
    Object.keys(rules.accuracy).forEach(function (level) {
        var pattern = rules.accuracy[level].dashArray || b.dashArray;
        if (pattern) { patterns[level] = pattern; }
    });
    Object.keys(patterns).forEach(function (level) {
        dashRules.push({
            dataLayer: rules.layer,
            symbolizer: new protomapsL.LineSymbolizer({
                dash: patterns[level], dashColor: lineColour, dashWidth: b.weight,
                opacity: lineOpacity, perFeature: true
            }),
            filter: function (z, f) { return shown(f.props) && f.props.accuracy === level; }
        });
    });
    var layer = protomapsL.leafletLayer({
        url: rules.url,
        pane: rules.pane,
        attribution: rules.attribution,
        levelDiff: 0,
        maxDataZoom: rules.maxDataZoom,
        minZoom: rules.minZoom,
        maxZoom: rules.maxZoom,
        labelRules: [],
        paintRules: [
            {dataLayer: rules.layer, symbolizer: fill,
             filter: function (z, f) { return shown(f.props); }},
            {dataLayer: rules.layer, symbolizer: solid,
             filter: function (z, f) { return shown(f.props) && !patterns[f.props.accuracy]; }}
        ].concat(dashRules)
    });
    layer.geoAppParcelTiles = true;
    return layer;
})().addTo({{ this._parent.get_name() }});
{% endmacro %}
