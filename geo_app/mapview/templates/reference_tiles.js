{# A reference layer drawn whole from its PMTiles archive (see mapview/references.py), in its
   kind's pane and look: outline, dash and fill of its kind, land use filled by class. A
   click that lands on one of its polygons (and on no parcel, and on no shape in a pane
   above its own) opens a popup joined from pieces escaped on the server and the polygon's
   class and id from the tile, looked up in lists the server sent (never a tile's text as
   HTML); the server names the polygon's columns under the map. The tiles catch no
   pointer, so a plan layer's shape under them takes the click: its popup is replaced, as
   a small layer's polygon, drawn above the plan layers, would have caught the click. When
   several layers are drawn from tiles, the one in the highest pane answers; hovering names
   the layer and the class under the pointer, as a small layer's tooltip does. #}
{% macro script(this, kwargs) %}
var {{ this.get_name() }} = (function () {
    var rules = {{ this.rules|js_value }};
    var t = {{ this.texts|js_value }};
    if (typeof protomapsL === "undefined") { return L.layerGroup(); }
    var b = rules.base;
    function fillOf(p) {
        if (rules.palette && Object.prototype.hasOwnProperty.call(rules.palette, p["class"])) {
            return rules.palette[p["class"]];
        }
        return b.fillColor;
    }
    var paintRules = [];
    if (b.fill) {
        paintRules.push({dataLayer: rules.layer, symbolizer: new protomapsL.PolygonSymbolizer({
            fill: function (z, f) { return fillOf(f.props); }, opacity: b.fillOpacity,
            perFeature: true
        })});
    }
    paintRules.push({dataLayer: rules.layer, symbolizer: b.dashArray
        ? new protomapsL.LineSymbolizer({dash: b.dashArray, dashColor: b.color,
                                         dashWidth: b.weight, opacity: b.opacity})
        : new protomapsL.LineSymbolizer({color: b.color, width: b.weight, opacity: b.opacity})});
    var layer = protomapsL.leafletLayer({
        url: rules.url,
        pane: rules.pane,
        levelDiff: 0,
        maxDataZoom: rules.maxDataZoom,
        minZoom: rules.minZoom,
        maxZoom: rules.maxZoom,
        labelRules: [],
        paintRules: paintRules
    });
    layer.geoAppReferenceTiles = rules.layerId;
    layer.geoAppZ = rules.z;
    function polygonAt(latlng) {
        var found = null;
        layer.queryTileFeaturesDebug(latlng.lng, latlng.lat).forEach(function (picked) {
            picked.forEach(function (p) {
                if (!found && p.layerName === rules.layer) { found = p.feature.props; }
            });
        });
        return found;
    }
    layer.geoAppPolygonAt = polygonAt;
    function classText(props) {
        var i = t.classNames.indexOf(props["class"] || "");
        return i >= 0 ? t.classes[i] : null;
    }
    layer.geoAppPopup = function (props) {
        var rows = [t.popupHead];
        var c = classText(props);
        if (c !== null) { rows.push(t.classRow + c + "</td></tr>"); }
        var id = document.createElement("td");
        id.textContent = String(props.id);
        rows.push(t.idRow + id.innerHTML + "</td></tr>");
        rows.push(t.popupTail);
        return rows.join("");
    };
    // The z-index of the pane of what the pointer is on (0: the map itself). The tiles
    // catch no pointer, so the pointer on them is on whatever shape lies under or over.
    function hitZ(e) {
        var el = e.originalEvent && e.originalEvent.target;
        var pane = el && el.closest ? el.closest(".leaflet-pane") : null;
        return pane ? (parseInt(window.getComputedStyle(pane).zIndex, 10) || 0) : 0;
    }
    // The polygon this layer answers for at the pointer, or null: none when a shape above
    // the reference layers (a parcel, a conflict piece) or a tiled parcel is there, or a
    // tiled reference layer in a higher pane has a polygon there.
    function answeredHere(e) {
        var map = layer._map;
        if (!map || hitZ(e) > rules.z) { return null; }
        var parcel = false, best = null, props = null;
        map.eachLayer(function (l) {
            if (l.geoAppParcelTiles && l.queryTileFeaturesDebug(e.latlng.lng, e.latlng.lat)
                    .some(function (picked) { return picked.length > 0; })) { parcel = true; }
            if (l.geoAppReferenceTiles === undefined || map.getZoom() < l.options.minZoom) {
                return;
            }
            var p = l.geoAppPolygonAt(e.latlng);
            if (p && (best === null || l.geoAppZ > best.geoAppZ)) { best = l; props = p; }
        });
        return !parcel && best === layer ? props : null;
    }
    // "preclick" reaches the map for every click, also one a shape with a popup of its own
    // stops; the popup is opened once that shape's click is over, so it is the one shown.
    function onPreclick(e) {
        var props = answeredHere(e);
        if (!props) { return; }
        var at = e.latlng;
        setTimeout(function () {
            if (layer._map) {
                L.popup({maxWidth: 360}).setLatLng(at).setContent(layer.geoAppPopup(props))
                    .openOn(layer._map);
            }
        }, 0);
    }
    // The layer and class under the pointer, from the tiles already drawn.
    var hover = L.tooltip({sticky: true, direction: "top", offset: [0, -8]});
    var pending = null;
    function showHover(e) {
        var map = layer._map;
        if (!map) { return; }
        var props = answeredHere(e);
        if (!props) {
            if (map.hasLayer(hover)) { map.removeLayer(hover); }
            return;
        }
        var c = classText(props);
        hover.setLatLng(e.latlng).setContent(
            t.tooltipHead + (c !== null ? t.classSeparator + c : "") + t.tooltipTail);
        if (!map.hasLayer(hover)) { hover.addTo(map); }
    }
    function onMove(e) {
        if (pending) { return; }
        pending = setTimeout(function () { pending = null; showHover(e); }, 50);
    }
    function onOut() {
        if (layer._map && layer._map.hasLayer(hover)) { layer._map.removeLayer(hover); }
    }
    layer.on("add", function () {
        layer._map.on("preclick", onPreclick);
        layer._map.on("mousemove", onMove);
        layer._map.on("mouseout", onOut);
    });
    layer.on("remove", function () {
        if (layer._map) {
            layer._map.off("preclick", onPreclick);
            layer._map.off("mousemove", onMove);
            layer._map.off("mouseout", onOut);
            onOut();
        }
    });
    return layer;
})().addTo({{ this._parent.get_name() }});
{% endmacro %}
