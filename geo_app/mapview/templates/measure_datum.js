{# leaflet-measure measures the points it is given. On GCJ-02 tiles those are GCJ-02, whose
   formula stretches areas by up to about 0.5 % around Shuangyang (it is not a plain
   shift), so the tool is handed the points back in WGS84 to measure, and the finished
   shape is then put back where it was drawn on the tiles. Patched on the prototype before
   the control is created, because the control binds its buttons to these methods. #}
{% macro script(this, kwargs) %}
(function (datum) {
    if (!L.Control.Measure || L.Control.Measure.prototype._geoAppWgs84) { return; }
    var proto = L.Control.Measure.prototype;
    var toWgs84 = function (latlngs) { return latlngs.map(datum.toWgs84); };
    var updateResults = proto._updateResults;
    var finish = proto._handleMeasureDoubleClick;
    proto._geoAppWgs84 = true;
    proto._updateResults = function () {
        var shown = this._latlngs;
        this._latlngs = toWgs84(shown);
        try { return updateResults.apply(this, arguments); } finally { this._latlngs = shown; }
    };
    proto._handleMeasureDoubleClick = function () {
        var shown = this._latlngs.slice(), before = {};
        this._layer.eachLayer(function (layer) { before[L.stamp(layer)] = true; });
        this._latlngs = toWgs84(shown);
        var result = finish.apply(this, arguments);
        this._layer.eachLayer(function (layer) {
            if (before[L.stamp(layer)] || !shown.length) { return; }
            if (layer.setLatLngs) {
                layer.setLatLngs(shown);
            } else if (layer.setLatLng) {
                layer.setLatLng(shown[0]);
            }
            if (layer.isPopupOpen && layer.isPopupOpen()) {
                layer.openPopup(layer.getBounds ? layer.getBounds().getCenter() : layer.getLatLng());
            }
        });
        return result;
    };
})({{ this.datum.get_name() }});
{% endmacro %}
