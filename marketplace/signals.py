"""Domain signals: how a lower domain tells a higher one, or asks it, without importing it
(domains depend one way: see pyproject.toml's import-linter contracts). They are sent inside
the transaction that made the change, so that listeners in other domains (the payments
ledger, e-mails) write in the same transaction.

Every receiver is connected in one place, ``marketplace.connect_receivers()``, when the app
is created; the README's map lists who sends and who listens."""

from blinker import Namespace

signals = Namespace()

# sender: the Order; kwargs: actor (User | None)
order_placed = signals.signal("order-placed")
# sender: the CooperativeOrder; kwargs: old (str), new (str), actor (User | None), reason (str)
sub_order_status_changed = signals.signal("sub-order-status-changed")
# Sent before a sub-order is cancelled; a listener refuses by raising a DomainError.
# sender: the CooperativeOrder; kwargs: old (str), actor (User | None), role (str)
sub_order_cancelling = signals.signal("sub-order-cancelling")
# sender: the Cooperative; kwargs: old (str), new (str), actor (User | None), reason (str)
cooperative_status_changed = signals.signal("cooperative-status-changed")
# A cooperative's names changed (its profile): sender the Cooperative. The catalogue writes
# its products' search documents again (a name removed is not seen by its flush listener).
cooperative_renamed = signals.signal("cooperative-renamed")
# A cooperative's public page lists its products with the storefront's filters: sender the
# Cooperative; kwargs template (str), the page's template. The receiver (the storefront)
# returns the response: that template rendered with the product grid.
cooperative_listing = signals.signal("cooperative-listing")
# How many products each cooperative shows (the list of cooperatives): sender None; kwargs
# locale (str). Each receiver returns {cooperative id: number of visible products}.
cooperative_product_counts = signals.signal("cooperative-product-counts")
# What else a product needs for the public to see it, beside being active and of a verified
# cooperative (catalogue.queries.visible_products_filter): sender None. Each receiver returns
# a condition on Product, or None (labels: with HIDE_FOOD_WITHOUT_SANITARY, a valid sanitary
# authorisation).
product_visibility = signals.signal("product-visibility")
# The seller dashboard's home shows the cooperative's latest products and what needs its
# attention: sender the Cooperative. Each receiver (the catalogue) returns a dict of the home
# template's context: attention, rows and the helpers their template uses.
seller_dashboard_home = signals.signal("seller-dashboard-home")
# Where a cart can be collected instead of delivered (the fairs): sender None; kwargs:
# cooperatives (list of Cooperative); each receiver returns a list of orders.checkout.Pickup.
pickup_options = signals.signal("pickup-options")
# Which ways to pay, beside cash on delivery, a higher domain offers now: sender None; each
# receiver returns a list of orders.models.PaymentMethod values (payments: card, when Stripe
# is configured).
payment_methods = signals.signal("payment-methods")
# After a commit that queued e-mails (marketplace.mail) or SMS/WhatsApp messages (notify):
# sender the name of the job that sends them ("send-mail", "send-messages"); the job runner
# enqueues it.
queue_committed = signals.signal("queue-committed")
