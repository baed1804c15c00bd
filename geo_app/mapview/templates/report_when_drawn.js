{# Makes streamlit-folium send the map's first state as soon as the map is drawn, when the
   run asked for the report: forgetting the last state sent makes the first one count as
   new. Runs inside the map's script, before the component's own start-up reads it. #}
{% macro script(this, kwargs) %}
(function (state) {
    if (state && Array.isArray(state.returned_objects)
        && state.returned_objects.indexOf({{ this.report|js_value }}) >= 0) {
        state.previous_data = null;
    }
})(window.__GLOBAL_DATA__);
{% endmacro %}
