"""The data model's closed value lists (IBPDI common data model, co-developed by BuildingMinds).

Written out here so the fake never reads the model at run time.
"""

from __future__ import annotations

COUNTRIES: tuple[str, ...] = tuple(
    """
    AF AL DZ AS AD AO AI AQ AG AR AM AW AU AT AZ BS BH BD BB BY BE BZ BJ BM BT BO BQ BA BW BV
    BR IO BN BG BF BI CV KH CM CA KY CF TD CL CN CX CC CO KM CD CG CK CR HR CU CW CY CZ CI DK
    DJ DM DO EC EG SV GQ ER EE SZ ET FK FO FJ FI FR GF PF TF GA GM GE DE GH GI GR GL GD GP GU
    GT GG GN GW GY HT HM VA HN HK HU IS IN ID IR IQ IE IM IL IT JM JP JE JO KZ KE KI KP KR KW
    KG LA LV LB LS LR LY LI LT LU MO MG MW MY MV ML MT MH MQ MR MU YT MX FM MD MC MN ME MS MA
    MZ MM NA NR NP NL NC NZ NI NE NG NU NF MP NO OM PK PW PS PA PG PY PE PH PN PL PT PR QA MK
    RO RU RW RE BL SH KN LC MF PM VC WS SM ST SA SN RS SC SL SG SX SK SI SB SO ZA GS SS ES LK
    SD SR SJ SE CH SY TW TJ TZ TH TL TG TK TO TT TN TR TM TC TV UG UA AE GB UM US UY UZ VU VE
    VN VG VI WF EH YE ZM ZW AX
    """.split()  # noqa: SIM905 - a list literal would be 249 lines
)
"""ISO 3166-1 alpha-2, as the model lists them."""
SITE_TYPES: tuple[str, ...] = (
    "Education",
    "Health Care",
    "Hotel",
    "Industrial",
    "Lodging, Leisure & Recreation",
    "Mixed Use",
    "Office",
    "Residential",
    "Retail",
    "Technology/Science",
    "Other",
)
BUILDING_TYPES: tuple[str, ...] = (
    "Retail",
    "Retail, High Street",
    "Retail, Retail Centers",
    "Retail, Shopping Center",
    "Retail, Strip Mall",
    "Retail, Lifestyle Center",
    "Retail, Warehouse",
    "Retail, Restaurants/Bars",
    "Retail, Other",
    "Office",
    "Office, Corporate",
    "Office, Low-Rise Office",
    "Office, Mid-Rise Office",
    "Office, High-Rise Office",
    "Office, Medical Office",
    "Office, Business Park",
    "Office, Other",
    "Industrial",
    "Industrial, Distribution Warehouse",
    "Industrial, Industrial Park",
    "Industrial, Manufacturing",
    "Industrial, Other",
    "Residential",
    "Residential, Multi-Family",
    "Residential, Low-Rise Multi-Family",
    "Residential, Mid-Rise Multi-Family",
    "Residential, High-Rise Multi-Family",
    "Residential, Family Homes",
    "Residential, Student Housing",
    "Residential, Retirement Living",
    "Residential, Other",
    "Hotel",
    "Lodging, Leisure & Recreation",
    "Lodging, Leisure & Recreation, Indoor Arena",
    "Lodging, Leisure & Recreation, Fitness Center",
    "Lodging, Leisure & Recreation, Performing Arts",
    "Lodging, Leisure & Recreation, Swimming Center",
    "Lodging, Leisure & Recreation, Museum/Gallery",
    "Lodging, Leisure & Recreation, Other",
    "Education",
    "Education, School",
    "Education, University",
    "Education, Library",
    "Education, Other",
    "Technology/Science",
    "Technology/Science, Data Center",
    "Technology/Science, Laboratory/Life sciences",
    "Technology/Science, Other",
    "Health Care",
    "Health Care, Health Care Center",
    "Health Care, Senior Homes",
    "Health Care, Other",
    "Mixed Use",
    "Mixed Use, Office/Retail",
    "Mixed Use, Office/Residential",
    "Mixed Use, Office/Industrial",
    "Mixed Use, Other",
    "Other",
    "Other, Parking (Indoors)",
    "Other, Self-Storage",
)
OWNERSHIP: tuple[str, ...] = ("Owner", "Tenant")
TENANT_STRUCTURES: tuple[str, ...] = ("Single-tenant", "Multi-tenant")
ENERGY_TYPES: tuple[str, ...] = (
    "Natural Gas",
    "Coal",
    "Nuclear",
    "Petroleum",
    "Hydropower",
    "Wind",
    "Biomass",
    "Geothermal",
    "Solar",
)
HEATING_TYPES: tuple[str, ...] = (
    "District heating",
    "Natural gas",
    "Oil-based fuels",
    "Solar thermal",
    "Unspecified",
    "Heat pump",
    "Electricity (radiator)",
    "Biomass",
    "Micro combined heat and power",
)
VENTILATION_TYPES: tuple[str, ...] = ("Exhaust", "Supply", "Balanced", "Heat-recovery")
MEASUREMENT_TYPES: tuple[str, ...] = ("Energy", "Water", "Waste", "Fugitive")
MEASUREMENT_UNITS: tuple[str, ...] = ("kWh", "cubm", "kg")
__all__ = [
    "BUILDING_TYPES",
    "COUNTRIES",
    "ENERGY_TYPES",
    "HEATING_TYPES",
    "MEASUREMENT_TYPES",
    "MEASUREMENT_UNITS",
    "OWNERSHIP",
    "SITE_TYPES",
    "TENANT_STRUCTURES",
    "VENTILATION_TYPES",
]
