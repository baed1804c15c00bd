{# Metric only: folium's own scale bar also shows miles. #}
{% macro script(this, kwargs) %}
var {{ this.get_name() }} = L.control.scale({imperial: false, maxWidth: 150}).addTo({{ this._parent.get_name() }});
{% endmacro %}
