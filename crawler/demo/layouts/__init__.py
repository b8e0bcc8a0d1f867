"""One page layout per demo portal; each module renders article, section, home and error pages.

Layouts deliberately differ: weserbote uses <article> + JSON-LD NewsArticle, tagesblick divs +
meta tags + <time>, nordticker breadcrumbs and a "Stand: ..." line without structured data.
"""

from . import nordticker, tagesblick, weserbote

LAYOUTS = {"weserbote": weserbote, "tagesblick": tagesblick, "nordticker": nordticker}
