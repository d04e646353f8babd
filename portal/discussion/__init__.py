"""Discussion: readers' comments and ratings under every page. Models and the queries they
share, the posting rules (sanitizer, spam defence, moderation state), anonymous readers'
signed cookies, the views and form posts, and the Atom feeds."""


def includeme(config):
    config.include(".activity")  # which pages have any discussion, known in process
    config.scan(".views")
