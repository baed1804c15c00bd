{# Shows the clicked point's lon/lat in the map corner, also when the click opened a
   feature's popup. Always WGS84: on GCJ-02 tiles the point is converted back first.
   Text only (textContent): the other coordinate systems are computed on the server by
   describe_point. The box is drawn after the map's first frame; no click comes sooner. #}
{% from "first_frame.js" import after_first_frame %}
{% macro script(this, kwargs) %}
var {{ this.get_name() }} = L.control({position: "bottomleft"});
{{ this.get_name() }}.onAdd = function () {
    var div = L.DomUtil.create("div", "gm-coords");
    div.textContent = {{ this.hint|js_value }};
    return div;
};
{{ this.get_name() }}.show = function (latlng) {
    var box = this.getContainer();
    if (!box) { return; }
    var point = {{ this.datum.get_name() }}.toWgs84(latlng);
    box.textContent = {{ this.label|js_value }} + "  "
        + point.lng.toFixed(6) + ", " + point.lat.toFixed(6);
};
{% call after_first_frame() %}
        {{ this.get_name() }}.addTo({{ this._parent.get_name() }});
{%- endcall %}
{{ this._parent.get_name() }}.on("click", function (e) { {{ this.get_name() }}.show(e.latlng); });
{{ this._parent.get_name() }}.on("popupopen", function (e) { {{ this.get_name() }}.show(e.popup.getLatLng()); });
{% endmacro %}
