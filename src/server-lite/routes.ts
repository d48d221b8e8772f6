/** Every route of server-lite: Management API (`/rest/v1`), OAuth2 token endpoint, Install API. */
import { oauthRoutes } from './auth/oauth.js';
import { consoleRoutes } from './console/routes.js';
import type { Route } from './http/route.js';
import { ddiRoutes } from './install/ddi.js';
import { installRecipeRoutes } from './install/recipes.js';
import { rootRoutes } from './install/root.js';
import { systemReportRoutes } from './install/system-report.js';
import { systemUpdateRoutes } from './install/system-update.js';
import { artifactRoutes } from './mgmt/artifacts.js';
import { deploymentRoutes } from './mgmt/deployments.js';
import { distributionSetTypeRoutes } from './mgmt/distribution-set-types.js';
import { distributionSetRoutes } from './mgmt/distribution-sets.js';
import { recipeLifecycleRoutes } from './mgmt/recipe-lifecycle.js';
import { recipeRoutes } from './mgmt/recipes.js';
import { softwareModuleTypeRoutes } from './mgmt/software-module-types.js';
import { softwareModuleRoutes } from './mgmt/software-modules.js';
import { systemRoutes } from './mgmt/systems.js';
import { tagRoutes } from './mgmt/tags.js';
import { targetRoutes } from './mgmt/targets.js';
import { tenantConfigRoutes } from './mgmt/tenant-configs.js';

export const ALL_ROUTES: Route[] = [
  ...softwareModuleTypeRoutes,
  ...softwareModuleRoutes,
  ...artifactRoutes,
  ...distributionSetTypeRoutes,
  ...distributionSetRoutes,
  ...tagRoutes,
  ...recipeRoutes,
  ...recipeLifecycleRoutes,
  ...targetRoutes,
  ...systemRoutes,
  ...deploymentRoutes,
  ...tenantConfigRoutes,
  ...oauthRoutes,
  ...rootRoutes,
  ...systemReportRoutes,
  ...systemUpdateRoutes,
  ...installRecipeRoutes,
  ...ddiRoutes,
  ...consoleRoutes,
];
