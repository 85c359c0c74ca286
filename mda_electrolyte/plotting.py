"""What the analyses' ``plot()`` methods share: the Axes to draw into, bars of Estimates, a note
on an empty panel, the check of a count argument, and user text shown as it was typed.

Names the user chose (species, residues, pairs, files) are drawn literally: matplotlib reads
text between two ``$`` as mathtext, and ``$x^$`` or ``$\\foo$`` in a name failed the save of
the whole figure with a parser error ("Expected end of text"). One mechanism does it: a text
that shows user text is told not to read mathtext (``parse_math=False``), a property of the
text itself, so that the figure can be saved anywhere later. It is applied at three scopes:
the texts the helpers here make (:func:`estimate_bars`, :func:`note_empty`,
:func:`tick_labels_as_typed`); every text a ``plot`` method made (:func:`draws_user_text`);
every text made inside a block of code the packages do not control, a registered analysis or
the screen's figures (:func:`user_text_literally`). None of the plots draws mathtext on purpose.

Numbers that are not valid are stamped by :func:`mda_electrolyte.report.mark_invalid`; the bars
drawn here carry each Estimate's own error bar and are hatched and greyed when that Estimate is
not valid, so that one bad number among good ones is told apart on the figure itself.
"""

import math

import numpy as np

__all__ = []

#: Hatch and colour of a bar whose Estimate is not valid.
INVALID_HATCH = "//"
INVALID_COLOR = "0.8"


def user_text_literally():
    """A context in which every text matplotlib creates is shown as typed, never as mathtext.

    For code that draws and saves figures with names it did not choose (the analyses of
    ``electrolyte analyze``): titles, legends and tick labels made inside, including those
    made while the figure is saved, read no ``$`` as math and use no LaTeX.
    """
    import matplotlib

    return matplotlib.rc_context({"text.parse_math": False, "text.usetex": False,
                                  "axes.formatter.use_mathtext": False})


def draws_user_text(plot):
    """Decorate a ``plot`` method so that the texts it draws show ``$`` as typed.

    Species, pair and selection names are the user's: ``$x^$`` as a species failed the
    figure's save with matplotlib's mathtext error, wherever the figure was saved later. After
    the method has drawn, every text of its figure that matplotlib would read as mathtext is
    told not to (``parse_math=False``): none of the packages' labels uses mathtext. Texts
    already shown literally (made with ``parse_math`` off) are
    left as they are; tick labels, drawn later, are made literal where they are set
    (:func:`tick_labels_as_typed`).
    """
    import functools

    @functools.wraps(plot)
    def drawn_literally(*args, **kwargs):
        drawn = plot(*args, **kwargs)
        for figure in _figures_of(drawn):
            for text in figure.findobj(_is_mathtext):
                text.set_parse_math(False)
        return drawn

    drawn_literally.draws_user_text = True
    return drawn_literally


def _is_mathtext(artist):
    from matplotlib import cbook
    from matplotlib.text import Text

    return (isinstance(artist, Text) and artist.get_parse_math()
            and cbook.is_math_text(artist.get_text()))


def _figures_of(drawn):
    """The figures of what a ``plot`` method returned (Axes, Figure, arrays or lists of Axes)."""
    from matplotlib.figure import Figure

    items = np.ravel(np.asarray(drawn, dtype=object)) if isinstance(drawn, (list, tuple,
                                                                          np.ndarray)) else [drawn]
    figures = []
    for item in items:
        figure = item if isinstance(item, Figure) else getattr(item, "figure", None)
        if isinstance(figure, Figure) and all(figure is not f for f in figures):
            figures.append(figure)
    return figures


def axes_to_draw_into(ax, **subplots):
    """``ax`` when it is a matplotlib Axes, a new figure's Axes when it is ``None``.

    Parameters
    ----------
    ax : matplotlib.axes.Axes or None
    **subplots
        Passed to :func:`matplotlib.pyplot.subplots` for a new figure (e.g. ``figsize``).

    Raises
    ------
    TypeError
        ``ax`` is something else (a Figure, an array of Axes, a string), before anything is
        drawn.
    """
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(**subplots)
        return ax
    return check_axes(ax, "(or None for a new figure)")


def check_axes(ax, alternative=""):
    """``ax`` when it is a matplotlib Axes, else a TypeError naming what it is, before drawing."""
    from matplotlib.axes import Axes

    if not isinstance(ax, Axes):
        raise TypeError(f"ax must be a matplotlib Axes{' ' * bool(alternative)}{alternative}, "
                        f"not {type(ax).__name__}")
    return ax


def estimates_of(values, what, allow_none=False):
    """``values`` as a list of Estimates (an Estimate's dict, as in ``summary.json``, read as
    one), or a TypeError naming ``what`` and the first that is none: a float or a dict
    failed deep inside the drawing with "'float' object has no attribute 'unit'"."""
    from ase_electrolyte.html_report import estimate_of

    found = []
    for value in values:
        est = None if value is None and allow_none else estimate_of(value)
        if est is None and not (value is None and allow_none):
            raise TypeError(f"{what} must be Estimates{' (or None)' * allow_none}, not "
                            f"{type(value).__name__} ({value!r:.60})")
        found.append(est)
    return found


def same_unit(a, b):
    """Whether units ``a`` and ``b`` are one unit spelt two ways (``g/cm^3`` and ``g/cm³``,
    ``mPa·s`` and ``cP``): of one dimension and converting with a factor of 1.

    Compared as strings, bars of 1.20 ± 0.01 g/cm^3 and 1.25 ± 0.01 g/cm³ (one from
    ``summary.json``, one typed) were refused as "estimates in several units", and a number
    in ``dimensionless`` (an alias of ``1``) was labelled with its unit's name.
    """
    from ase_electrolyte.units import convert

    if a == b:
        return True
    try:
        return math.isclose(convert(1.0, a, b), 1.0, rel_tol=1e-12)
    except (TypeError, ValueError):  # another dimension, or no unit the package knows
        return False


def count_argument(name, value, minimum=1):
    """A whole-number plot argument (how many labels, columns, points), or a ValueError naming
    it: ``n_labels=-1`` silently dropped the last label, ``ncols=0`` divided by zero."""
    from ase_electrolyte.atoms_checks import check_number

    return check_number(name, value, integer=True, minimum=minimum)


def estimate_bars(ax, labels, estimates, *, horizontal=False, colors=None):
    """Bars of Estimates with their error bars; a bar that is not valid is hatched and grey.

    Each error bar spans the Estimate's one-sigma interval
    (:meth:`~ase_electrolyte.estimate.Estimate.interval` at 68.27 %): value ± stderr, or on a
    log scale (``interval_scale="log"``, a conductivity) ``value · exp(± stderr / value)``.

    A value or error that is not finite is drawn as no bar and no error bar (never a NaN
    handed to matplotlib); a value that is not finite is written :data:`MISSING_TEXT` at its
    place, so that its empty place does not read as a value of 0.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    labels : list of str
    estimates : list of Estimate
        One per label, all in one unit (estimates of several units are refused; one unit
        spelt two ways, ``g/cm^3`` and ``g/cm³``, is one unit: :func:`same_unit`).
    horizontal : bool
        ``barh`` instead of ``bar``.
    colors : list of color, optional
        One per bar (valid bars); default the colour cycle.

    Raises
    ------
    ValueError
        A number of labels or colours other than of estimates, or estimates in several units.

    Returns
    -------
    matplotlib.container.BarContainer
    """
    check_axes(ax)
    if isinstance(labels, (str, bytes)):
        # one bar per letter
        raise TypeError(f"labels must be a list of names, not the string {labels!r}")
    labels = [str(x) for x in labels]
    estimates = estimates_of(estimates, "estimate_bars' estimates")
    if len(labels) != len(estimates):
        raise ValueError(f"{len(labels)} labels for {len(estimates)} estimates")
    units = list(dict.fromkeys(e.unit for e in estimates))
    units = [u for u in units if not same_unit(u, units[0])] and units
    if len(units) > 1:
        # bars of 1 mS/cm beside 0.1 S/m read as ten times apart on one axis: convert first
        raise ValueError(f"the bars share one axis but the estimates are in {units}; convert "
                         "them to one unit (Estimate.to) first")
    colors = [f"C{i}" for i in range(len(labels))] if colors is None else list(colors)
    if len(colors) != len(labels):
        # matplotlib cycled a short list and cut a long one without a word
        raise ValueError(f"{len(colors)} colors for {len(labels)} bars")
    values = [e.value if math.isfinite(e.value) else 0.0 for e in estimates]
    # each bar's one-sigma interval as the Estimate gives it (Estimate.interval): value ±
    # stderr, or for a quantity on a log scale (a conductivity) the interval symmetric in
    # log value, which a symmetric bar drew below it and short above it (0.5 ± 0.3 S/m:
    # 0.2 to 0.8 drawn, 0.27 to 0.91 meant)
    errors = np.array([_one_sigma_reach(e) for e in estimates]).T.reshape(2, len(estimates))
    draw = ax.barh if horizontal else ax.bar
    key = "xerr" if horizontal else "yerr"
    # at numbered places, the names as fixed tick labels shown as typed: as categories
    # (escaped for the setting of the moment) they became tick labels when the
    # figure was drawn, some in ticks made before (with plt.subplots), so that a figure drawn
    # inside user_text_literally() and saved after it failed the save with mathtext's
    # ParseSyntaxException; and names given twice shared one bar
    places = np.arange(len(labels))
    bars = draw(places, values, color=colors, **{key: errors, "capsize": 3})
    tick_labels_as_typed(ax.yaxis if horizontal else ax.xaxis, places, labels)
    for place, bar, est in zip(places, bars, estimates, strict=True):
        if not est.valid:
            bar.set_hatch(INVALID_HATCH)
            bar.set_facecolor(INVALID_COLOR)
            bar.set_edgecolor("tab:red")
        if not math.isfinite(est.value):
            # its bar has no height, and a missing bar read as a value of 0: it says "n/a"
            ax.annotate(MISSING_TEXT, (0.0, place) if horizontal else (place, 0.0),
                        ha="left" if horizontal else "center",
                        va="center" if horizontal else "bottom", color="tab:red", fontsize=8,
                        annotation_clip=False, parse_math=False)
    return bars


def _one_sigma_reach(est):
    """``(below, above)``: how far the one-sigma interval of ``est`` reaches from its value
    (``(0, 0)`` where its value or error is unknown: no error bar)."""
    from scipy import stats

    if not (math.isfinite(est.value) and math.isfinite(est.stderr)):
        return 0.0, 0.0
    try:
        low, high = est.interval(2.0 * stats.norm.cdf(1.0) - 1.0, allow_invalid=True)
    except ValueError:  # bounds beyond the float range
        return est.stderr, est.stderr
    return est.value - low, high - est.value


#: What :func:`estimate_bars` writes where a number has no value (no bar is drawn).
MISSING_TEXT = "n/a"


def note_empty(ax, text):
    """An empty panel that says why (``"no carbonyl oxygens"``) instead of a bare frame."""
    import textwrap

    check_axes(ax)
    # wrapped here: matplotlib's own wrapping (wrap=True) measures the lines as mathtext
    # whatever the text's parse_math says, and failed the save on a "$x^$" in the note
    ax.text(0.5, 0.5, textwrap.fill(str(text), 40), transform=ax.transAxes, ha="center",
            va="center", color="0.4", fontsize=9, parse_math=False)
    return ax


def tick_labels_as_typed(axis, places, labels):
    """Fixed tick labels of user text on ``axis`` (an ``ax.xaxis``/``ax.yaxis``), shown as typed.

    The label texts are made now, and each is told not to read mathtext: wherever the figure
    is saved later (inside :func:`user_text_literally` or not), a ``$`` in a name is a ``$``.

    Parameters
    ----------
    axis : matplotlib.axis.Axis
    places : sequence of float
        Tick positions, one per label.
    labels : sequence of object
        Shown as their ``str``.
    """
    axis.set_ticks(places, [str(x) for x in labels])
    # a fixed locator gives these ticks at every draw: their label texts are the ones drawn
    for tick in axis.get_major_ticks(len(places)):
        tick.label1.set_parse_math(False)
        tick.label2.set_parse_math(False)


def finite_span(low, high):
    """``(low, high)`` when both are finite numbers, else ``None`` (nothing to shade)."""
    low, high = float(low), float(high)
    return (low, high) if np.isfinite(low) and np.isfinite(high) else None
