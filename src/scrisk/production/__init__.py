"""Production statistics: readers (USGS MCS, BGS WMS, tidy CSV), mapping to the material baskets, concentration.

* :mod:`scrisk.production.readers`: the three layouts (:func:`read_production`);
* :mod:`scrisk.production.names`: country names with footnote marks to ISO3;
* :mod:`scrisk.production.concentration`: commodities and stages mapped to
  baskets (:func:`map_to_baskets`); production HHI, top producer and share
  (:func:`production_concentration`), from the declarations in
  :mod:`scrisk.engine.supply`;
* :mod:`scrisk.production.crm`: the EU CRM supply-risk formula.
"""

from scrisk.production.readers import ProductionData, read_bgs_wms, read_production, read_production_tidy, read_usgs_mcs

__all__ = ["ProductionData", "read_production", "read_usgs_mcs", "read_bgs_wms", "read_production_tidy"]
