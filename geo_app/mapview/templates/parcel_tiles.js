{# The parcel layer from a PMTiles archive (see mapview/tiles.py). Each parcel is filled and
   outlined in its status colour, dashed and faded by its accuracy, as the GeoJSON layer
   draws it; the page's filters choose which parcels are drawn. Hovering names the parcel
   under the pointer from the tile itself (its id and status, as text: nothing from a tile
   is ever handed to the page as HTML); a click is answered by the server. An archive of an
   earlier change (drawn while the current one is prepared) is faded and flagged apart, so
   nothing takes it for the current parcels.
   A url "#id" names an archive the page carries itself (an HTML export that opens from
   disk, page_archive.js): no server answers there, so a click opens the parcel's popup
   from the tile's own values (rules.popup), as text too. #}
{% macro script(this, kwargs) %}
var {{ this.get_name() }} = (function () {
    var rules = {{ this.rules|js_value }};
    if (typeof protomapsL === "undefined") { return L.layerGroup(); }
    var source = rules.url;
    if (source.charAt(0) === "#") {
        source = typeof geoAppPageArchive === "undefined" ? null
            : geoAppPageArchive(source.slice(1));
        if (!source) { return L.layerGroup(); }
    }
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
    // Out of date: drawn at less than half its strength.
    var fade = rules.outOfDate ? 0.45 : 1;
    var b = Object.assign({}, rules.base, {
        opacity: rules.base.opacity * fade, fillOpacity: rules.base.fillOpacity * fade
    });
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
        url: source,
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
    if (rules.outOfDate) { layer.geoAppStaleTiles = true; } else { layer.geoAppParcelTiles = true; }
    // The parcel under the pointer, from the tiles already drawn (no server round trip).
    var hover = L.tooltip({sticky: true, direction: "top", offset: [0, -8]});
    var pending = null;
    function parcelAt(latlng) {
        var found = null;
        layer.queryTileFeaturesDebug(latlng.lng, latlng.lat).forEach(function (picked) {
            picked.forEach(function (p) {
                if (!found && p.layerName === rules.layer && shown(p.feature.props)) {
                    found = p.feature.props;
                }
            });
        });
        return found;
    }
    function showHover(e) {
        var map = layer._map;
        if (!map) { return; }
        var props = map.getZoom() >= rules.minZoom ? parcelAt(e.latlng) : null;
        if (!props) {
            if (map.hasLayer(hover)) { map.removeLayer(hover); }
            return;
        }
        var text = document.createElement("span");
        var status = rules.labels[props[rules.colorBy]] || props[rules.colorBy] || "";
        text.textContent = props.id + (status ? " · " + status : "");
        hover.setLatLng(e.latlng).setContent(text);
        if (!map.hasLayer(hover)) { hover.addTo(map); }
    }
    function cell(row, tag, text) {
        var element = document.createElement(tag);
        element.textContent = text;
        row.appendChild(element);
        return element;
    }
    // The z-index of the pane of what the pointer is on (0: the map itself): a shape in a
    // pane above the parcels answers its own click.
    function hitZ(e) {
        var el = e.originalEvent && e.originalEvent.target;
        var pane = el && el.closest ? el.closest(".leaflet-pane") : null;
        return pane ? (parseInt(window.getComputedStyle(pane).zIndex, 10) || 0) : 0;
    }
    function popupContent(props) {
        var box = document.createElement("div");
        box.className = "gm-popup";
        cell(box, "h4", props.id);
        if (rules.popup.sample) { cell(box, "div", rules.popup.sample).className = "gm-sample"; }
        var table = document.createElement("table");
        rules.popup.fields.forEach(function (field) {
            var value = props[field[0]];
            if (value === undefined || value === null || value === "") { return; }
            var words = rules.popup.words[field[0]] || {};
            var row = document.createElement("tr");
            cell(row, "th", field[1]);
            cell(row, "td", Object.prototype.hasOwnProperty.call(words, value)
                ? words[value] : String(value));
            table.appendChild(row);
        });
        var more = document.createElement("tr");
        var note = cell(more, "td", rules.popup.note);
        note.colSpan = 2;
        note.className = "gm-more";
        table.appendChild(more);
        box.appendChild(table);
        return box;
    }
    // "preclick" reaches the map for every click, also one a shape with a popup of its own
    // (a plan area the parcel lies in) stops; the parcel's popup is opened once that
    // shape's click is over, so the parcel is the one named, as where parcels are shapes
    // drawn over the plan's layers.
    function showPopup(e) {
        var map = layer._map;
        if (!map || map.getZoom() < rules.minZoom) { return; }
        var paneZ = parseInt(window.getComputedStyle(map.getPane(rules.pane)).zIndex, 10) || 0;
        var props = hitZ(e) > paneZ ? null : parcelAt(e.latlng);
        if (!props) { return; }
        var at = e.latlng;
        setTimeout(function () {
            if (layer._map) {
                L.popup({maxWidth: 360}).setLatLng(at).setContent(popupContent(props))
                    .openOn(layer._map);
            }
        }, 0);
    }
    layer.on("remove", function () {
        if (layer._map && rules.popup) { layer._map.off("preclick", showPopup); }
    });
    layer.on("add", function () {
        if (rules.popup) { layer._map.on("preclick", showPopup); }
        layer._map.on("mousemove", function (e) {
            if (pending) { return; }
            pending = setTimeout(function () { pending = null; showHover(e); }, 50);
        });
        layer._map.on("mouseout", function () {
            if (layer._map && layer._map.hasLayer(hover)) { layer._map.removeLayer(hover); }
        });
    });
    return layer;
})().addTo({{ this._parent.get_name() }});
{% endmacro %}
