{# A line added to the map's attribution corner (the approval number). Escaped on the
   server: Leaflet writes attributions as HTML. #}
{% macro script(this, kwargs) %}
if ({{ this._parent.get_name() }}.attributionControl) {
    {{ this._parent.get_name() }}.attributionControl.addAttribution({{ this.html|js_value }});
}
{% endmacro %}
