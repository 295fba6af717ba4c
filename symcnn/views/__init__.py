"""View models of a derived Network: what the exporters show, in no particular format.

summary       the summary's rows and containers as items, its columns as data, the totals
explanation   each layer's equations in the CNN notes' three steps, and the legend

Views read what the Network already holds (closed forms, totals, conditions,
claim results); the renderers in symcnn.exporters turn them into text.
"""
