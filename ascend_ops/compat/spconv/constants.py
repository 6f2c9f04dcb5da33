"""spconv 2.x `spconv.constants` names that model code reads or sets (spconv 2.3.8
spconv/constants.py): e.g. OpenPCDet's pcdet/utils/spconv_utils.py sets
SPCONV_USE_DIRECT_TABLE = False. They have no effect on the kit's engine."""
ALL_WEIGHT_IS_KRSC = True
FILTER_HWIO = False
SAVED_WEIGHT_LAYOUT = ""
SPCONV_USE_DIRECT_TABLE = True
SPCONV_ALLOW_TF32 = False
SPCONV_FX_TRACE_MODE = False
SPCONV_DO_SORT = True
