"""Every relative link and image of the Markdown documentation resolves to
a file of the repository."""
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = sorted([ROOT / 'README.md', *ROOT.glob('docs/*.md'),
                *ROOT.glob('configs/**/README.md')])
LINK = re.compile(r'\]\(([^)\s]+)\)')


def relative_links(page: Path):
    for target in LINK.findall(page.read_text()):
        path = target.split('#', 1)[0]
        if path and '://' not in path and not path.startswith('mailto:'):
            yield path


@pytest.mark.parametrize('page', PAGES,
                         ids=[str(p.relative_to(ROOT)) for p in PAGES])
def test_relative_links_resolve(page):
    missing = [link for link in relative_links(page)
               if not (page.parent / link).exists()]
    assert not missing, f'{page.relative_to(ROOT)}: {missing}'


def test_analysis_page_shows_one_figure_of_each_kind():
    page = ROOT / 'docs' / 'analysis.md'
    images = re.findall(r'!\[[^\]]*\]\(([^)]+)\)', page.read_text())
    kinds = {Path(i).stem.split('_')[0] for i in images}
    assert {'attention', 'cka', 'spectrum', 'fourier', 'heterogeneity',
            'affinity', 'rauc'} <= kinds
