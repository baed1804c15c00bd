{# The basemap's datum in the browser, for the coordinate readout and the measuring tool:
   a point read off GCJ-02 tiles is turned back into WGS84 with the same published formula
   and iteration as geo_app/gcj02.py. On WGS84 tiles points pass through unchanged. #}
{% macro script(this, kwargs) %}
var {{ this.get_name() }} = (function () {
    var datum = {{ this.datum|js_value }};
    var A = 6378245.0, EE = 0.00669342162296594323, PI = Math.PI;
    function inChina(lon, lat) {
        return lon > 72.004 && lon < 137.8347 && lat > 0.8293 && lat < 55.8271;
    }
    function latOffset(x, y) {
        var out = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x));
        out += (20.0 * Math.sin(6.0 * x * PI) + 20.0 * Math.sin(2.0 * x * PI)) * 2.0 / 3.0;
        out += (20.0 * Math.sin(y * PI) + 40.0 * Math.sin(y / 3.0 * PI)) * 2.0 / 3.0;
        out += (160.0 * Math.sin(y / 12.0 * PI) + 320.0 * Math.sin(y * PI / 30.0)) * 2.0 / 3.0;
        return out;
    }
    function lonOffset(x, y) {
        var out = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x));
        out += (20.0 * Math.sin(6.0 * x * PI) + 20.0 * Math.sin(2.0 * x * PI)) * 2.0 / 3.0;
        out += (20.0 * Math.sin(x * PI) + 40.0 * Math.sin(x / 3.0 * PI)) * 2.0 / 3.0;
        out += (150.0 * Math.sin(x / 12.0 * PI) + 300.0 * Math.sin(x / 30.0 * PI)) * 2.0 / 3.0;
        return out;
    }
    function toGcj02(lon, lat) {
        if (!inChina(lon, lat)) { return [lon, lat]; }
        var dlat = latOffset(lon - 105.0, lat - 35.0), dlon = lonOffset(lon - 105.0, lat - 35.0);
        var radLat = lat / 180.0 * PI, magic = 1.0 - EE * Math.sin(radLat) * Math.sin(radLat);
        var sqrtMagic = Math.sqrt(magic);
        dlat = (dlat * 180.0) / ((A * (1.0 - EE)) / (magic * sqrtMagic) * PI);
        dlon = (dlon * 180.0) / (A / sqrtMagic * Math.cos(radLat) * PI);
        return [lon + dlon, lat + dlat];
    }
    function fromGcj02(lon, lat) {
        var x = lon, y = lat;
        for (var i = 0; i < 30; i++) {
            var f = toGcj02(x, y), ex = f[0] - lon, ey = f[1] - lat;
            x -= ex;
            y -= ey;
            if (Math.max(Math.abs(ex), Math.abs(ey)) < 1e-10) { break; }
        }
        return [x, y];
    }
    return {
        datum: datum,
        toWgs84: function (latlng) {
            if (datum !== "gcj02") { return L.latLng(latlng.lat, latlng.lng); }
            var p = fromGcj02(latlng.lng, latlng.lat);
            return L.latLng(p[1], p[0]);
        }
    };
})();
{% endmacro %}
