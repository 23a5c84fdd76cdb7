# Reference estimates from R `survey` for tools/crosscheck_survey.py.
# Usage: Rscript tools/crosscheck_survey.R <dir>   (reads <dir>/*.csv, writes <dir>/r_results.csv)
# Every result row: case, key, estimate, se, deff.  Keys follow names(coef(.)) of svyby:
# "<domain>" for one variable, "<domain>:<column>" for several, domains joined with ".".
suppressMessages(library(survey))
args <- commandArgs(trailingOnly = TRUE)
dir <- args[1]
rd <- function(f) read.csv(file.path(dir, f), stringsAsFactors = FALSE)
out <- list()
add <- function(case, key, est, se, deff = NA) {
  if (is.null(deff)) deff <- NA
  out[[length(out) + 1]] <<- data.frame(case = case, key = key, estimate = as.numeric(est),
                                        se = as.numeric(se), deff = as.numeric(deff))
}
emit <- function(case, r) {                      # svystat (svymean / svytotal)
  add(case, names(coef(r)), coef(r), SE(r), if (is.null(attr(r, "deff"))) NA else diag(as.matrix(attr(r, "deff"))))
}
emit_by <- function(case, r) {                   # svyby
  d <- as.data.frame(r)
  dc <- grep("^DEff", colnames(d))
  add(case, names(coef(r)), coef(r), as.vector(as.matrix(SE(r))), if (length(dc)) unlist(d[dc]) else NA)
}
emit_q <- function(case, r) {                    # svyquantile with Woodruff CI
  ci <- confint(r)
  add(case, names(coef(r)), coef(r), SE(r))
  add(paste0(case, "_ci"), names(coef(r)), ci[, 1], ci[, 2])
}
emit_ratio <- function(case, r) add(case, "ratio", coef(r), SE(r), attr(r, "deff"))

## --- api (R survey's own data) -------------------------------------------------------
apistrat <- rd("apistrat.csv"); apiclus1 <- rd("apiclus1.csv"); apiclus2 <- rd("apiclus2.csv")
dstrat <- svydesign(id = ~1, strata = ~stype, weights = ~pw, fpc = ~fpc, data = apistrat)
emit("strat_mean", svymean(~api00 + enroll, dstrat, deff = "replace"))
emit("strat_total", svytotal(~enroll, dstrat, deff = "replace"))
emit_ratio("strat_ratio", svyratio(~api00, ~api99, dstrat, deff = "replace"))
emit_by("strat_mean_by_awards", svyby(~api00 + meals, ~awards, dstrat, svymean, deff = "replace"))
emit_by("strat_prop_by_stype", svyby(~factor(sch.wide), ~stype, dstrat, svymean, deff = "replace"))
emit_q("strat_quantile", svyquantile(~api00, dstrat, c(0.25, 0.5, 0.75)))
emit_by("strat_quantile_by_awards", svyby(~api00, ~awards, dstrat, svyquantile, quantiles = c(0.25, 0.5, 0.75)))
dclus1 <- svydesign(id = ~dnum, weights = ~pw, fpc = ~fpc, data = apiclus1)
emit("clus1_fpc_mean", svymean(~api00, dclus1, deff = "replace"))
emit_by("clus1_fpc_total_by_stype", svyby(~enroll, ~stype, dclus1, svytotal, deff = "replace"))
dclus1n <- svydesign(id = ~dnum, weights = ~pw, data = apiclus1)
emit("clus1_mean", svymean(~api00, dclus1n, deff = "replace"))
dclus2 <- svydesign(id = ~dnum + snum, weights = ~pw, data = apiclus2)
emit("clus2_mean", svymean(~api00, dclus2, deff = "replace"))
emit("clus2_total_narm", svytotal(~enroll, dclus2, na.rm = TRUE, deff = "replace"))

## --- synthetic stratified two-stage survey with domains ----------------------------------
syn <- rd("synthetic.csv")
syn$cat <- factor(syn$cat)
z <- 1000
syn$poor <- as.numeric(syn$income < z)
syn$gap <- syn$poor * (z - syn$income) / z
syn$sev <- syn$gap^2
ds <- svydesign(id = ~psu, strata = ~stratum, weights = ~w, nest = TRUE, data = syn)
emit("syn_mean", svymean(~income + x, ds, deff = "replace"))
emit_by("syn_mean_by_region", svyby(~income + x, ~region, ds, svymean, deff = "replace"))
emit_by("syn_total_by_region", svyby(~income, ~region, ds, svytotal, deff = "replace"))
emit_by("syn_ratio_by_region", svyby(~income, ~region, denominator = ~x, ds, svyratio, deff = "replace"))
emit_by("syn_prop_by_region", svyby(~cat, ~region, ds, svymean, deff = "replace"))
emit_by("syn_mean_by_region_urban", svyby(~income, ~region + urban, ds, svymean, deff = "replace"))
emit("syn_fgt", svymean(~poor + gap + sev, ds, deff = "replace"))
emit_by("syn_fgt_by_region", svyby(~poor + gap + sev, ~region, ds, svymean, deff = "replace"))
emit_q("syn_quantile", svyquantile(~income, ds, c(0.1, 0.5, 0.9)))
emit_by("syn_quantile_by_region", svyby(~income, ~region, ds, svyquantile, quantiles = c(0.25, 0.5, 0.75)))
dsf <- svydesign(id = ~psu, strata = ~stratum, weights = ~w, fpc = ~N_psu, nest = TRUE, data = syn)
emit_by("synfpc_mean_by_region", svyby(~income, ~region, dsf, svymean, deff = "replace"))
emit("synfpc_total", svytotal(~income, dsf, deff = "replace"))

## --- a stratum with a single PSU ----------------------------------------------------------
lon <- rd("synthetic_lonely.csv")
for (rule in c("adjust", "certainty", "remove")) {
  options(survey.lonely.psu = rule)
  dl <- svydesign(id = ~psu, strata = ~stratum, weights = ~w, nest = TRUE, data = lon)
  emit(paste0("lonely_", rule, "_mean"), svymean(~income, dl, deff = "replace"))
  emit_by(paste0("lonely_", rule, "_total_by_region"), svyby(~income, ~region, dl, svytotal, deff = "replace"))
}
write.csv(do.call(rbind, out), file.path(dir, "r_results.csv"), row.names = FALSE)
