{# Runs the code it wraps just after the map's first frame: building a control's
   elements then does not hold the map's first picture back. The code still runs, after
   a quarter second, in a frame that is not being drawn (a page in the background). #}
{% macro after_first_frame() -%}
(function () {
    var done = false;
    function run() {
        if (done) { return; }
        done = true;
{{ caller() }}
    }
    window.requestAnimationFrame(function () { setTimeout(run, 0); });
    setTimeout(run, 250);
})();
{%- endmacro %}
