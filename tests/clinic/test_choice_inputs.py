"""``choice_input`` writes each radio button and check box exactly as Django's templates do."""

from __future__ import annotations

import pytest
from django import forms
from django.utils.safestring import mark_safe

from clinic.templatetags.choice_inputs import choice_input, choice_labels


class OwnOption(forms.RadioSelect):
    option_template_name = "django/forms/widgets/input.html"


class Sample(forms.Form):
    scale = forms.ChoiceField(choices=[(n, str(n)) for n in range(3)], widget=forms.RadioSelect)
    tricky = forms.ChoiceField(
        choices=[('a"b', "Quoted <b>"), ("c&d", "Amp"), (mark_safe("<safe>"), "Safe")],
        widget=forms.RadioSelect(attrs={"data-note": 'say "hi" & <go>', "class": "row"}),
        required=False,
        disabled=True,
    )
    regions = forms.MultipleChoiceField(
        choices=[("hip", "Hip"), ("back", "Back"), ("knee", "Knee")], widget=forms.CheckboxSelectMultiple
    )
    own = forms.ChoiceField(choices=[("x", "X")], widget=OwnOption, required=False)


@pytest.mark.parametrize(
    "data", [{}, {"scale": "1", "regions": ["hip", "knee"]}, {"scale": "9", "tricky": 'a"b', "regions": ["nope"]}]
)
def test_every_option_is_written_as_the_widget_template_writes_it(data):
    form = Sample(data or None, initial={"tricky": "c&d"})
    for name in ("scale", "tricky", "regions", "own"):
        for choice in form[name]:
            assert choice_input(choice) == choice.tag()


@pytest.mark.parametrize("name", ["scale", "tricky", "regions", "own"])
def test_a_fields_labelled_options_are_written_as_the_template_loop_wrote_them(name):
    from django.template import Context, Template

    loop = Template(
        '{% for choice in field %}<label class="choice" for="{{ choice.id_for_label }}">{{ choice.tag }} '
        "{{ choice.choice_label }}</label>{% endfor %}"
    )
    form = Sample({"scale": "1", "regions": ["hip"], "tricky": 'a"b'})
    assert choice_labels(form[name]) == loop.render(Context({"field": form[name]}))


def test_the_field_template_writes_the_inputs_through_the_filter():
    from django.template.loader import render_to_string

    form = Sample({"scale": "2", "regions": ["back"]})
    page = render_to_string("includes/field.html", {"field": form["regions"]})
    assert '<input type="checkbox" name="regions" value="back" id="id_regions_1" checked>' in page
    assert '<input type="checkbox" name="regions" value="hip" id="id_regions_0">' in page
