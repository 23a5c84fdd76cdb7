# Golden output for tests/test_pmt.py: R survey's svyglm (gaussian) on two fixed designs.
# Run from tests/data:  Rscript svyglm_small.R > svyglm_small_golden.csv
# (R 4.2.2, survey 4.1.1, Debian bookworm r-cran-survey 4.1-1-1)
suppressMessages(library(survey))
out <- function(case, fit) {
  b <- coef(fit); s <- SE(fit)
  r2 <- 1 - fit$deviance / fit$null.deviance
  for (k in names(b)) cat(case, ",", k, ",", sprintf("%.17g", b[[k]]), ",", sprintf("%.17g", s[[k]]), ",",
                          sprintf("%.17g", r2), ",", fit$df.residual, "\n", sep = "")
}
cat("case,term,estimate,se,r_squared,df_residual\n")
# 1. small stratified cluster design (3 strata, 9 PSUs, 45 rows), no fpc
d <- read.csv("svyglm_small.csv")
des <- svydesign(ids = ~psu, strata = ~stratum, weights = ~w, data = d)
out("small", svyglm(y ~ x1 + x2, design = des))
# 2. apistrat (data(api), tests/data/apistrat.csv): stratified, with fpc
a <- read.csv("apistrat.csv")
desa <- svydesign(ids = ~1, strata = ~stype, weights = ~pw, fpc = ~fpc, data = a)
out("apistrat_fpc", svyglm(api00 ~ api99 + meals, design = desa))
